// Message constructors mirror the server's limits (lanboard/limits.py, lanboard/protocol.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkElement, cleanUserId, cursorMsg, drawMsg, ELEMENT_TYPES, eraseMsgs, idMaker, isRoomId,
  LIMITS, orderMsg, randomRoomCode, selectMsg, slugRoomId, socketUrl, transformMsg, updateMsg,
  updateMsgs, wireElement,
} from '../../static/app/protocol.js';

const rect = { id: 'a', elementType: 'rect', x: 1, y: 2, width: 3, height: 4, strokeColor: '#123',
  strokeWidth: 2 };

test('element ids are unique, at most 64 characters, and start with the user', () => {
  const make = idMaker('Ada Lovelace <script>'.repeat(4));
  const seen = new Set();
  for (let i = 0; i < 1000; i += 1) {
    const id = make();
    assert.ok(id.length <= LIMITS.MAX_ID_CHARS);
    assert.match(id, /^[A-Za-z0-9_-]+$/);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
  assert.ok(idMaker('bob')().startsWith('bob_'));
});

test('drawMsg sends only the fields the server accepts', () => {
  const msg = drawMsg({ ...rect, userId: 'someone', extra: 1 });
  assert.deepEqual(Object.keys(msg.data).sort(),
    ['elementType', 'height', 'id', 'strokeColor', 'strokeWidth', 'width', 'x', 'y']);
  assert.equal(msg.type, 'draw');
});

test('checkElement rejects what the server would reject', () => {
  assert.equal(checkElement(rect), '');
  assert.notEqual(checkElement({ ...rect, strokeWidth: 0.1 }), '');
  assert.notEqual(checkElement({ ...rect, strokeColor: 'red' }), '');
  assert.notEqual(checkElement({ ...rect, x: 2e6 }), '');
  assert.notEqual(checkElement({ ...rect, id: 'x'.repeat(65) }), '');
  assert.notEqual(checkElement({ ...rect, elementType: 'star' }), '');
  const text = { id: 't', elementType: 'text', x: 0, y: 0, text: 'hi', fontSize: 20,
    strokeColor: '#000', strokeWidth: 1 };
  assert.equal(checkElement(text), '');
  assert.notEqual(checkElement({ ...text, text: 'x'.repeat(4001) }), '');
  assert.notEqual(checkElement({ ...text, fontSize: 3 }), '');
  const path = { id: 'p', elementType: 'path', points: [[0, 0, 0.5]], strokeColor: '#000',
    strokeWidth: 1 };
  assert.equal(checkElement(path), '');
  assert.notEqual(checkElement({ ...path, points: [[0, 0, 2]] }), '');
  assert.notEqual(checkElement({ ...path, points: [] }), '');
  assert.throws(() => drawMsg({ ...rect, x: NaN }));
});

test('erase is split into messages of at most 2,000 ids', () => {
  const ids = Array.from({ length: 4500 }, (_, i) => `e${i}`);
  const msgs = eraseMsgs(ids);
  assert.deepEqual(msgs.map((m) => m.data.ids.length), [2000, 2000, 500]);
  assert.deepEqual(msgs.flatMap((m) => m.data.ids), ids);
});

test('names and room codes are cleaned like the server does', () => {
  assert.equal(cleanUserId('  Al\u0007ice\n '), 'Alice');
  assert.equal(cleanUserId('x'.repeat(40)).length, 32);
  assert.equal(slugRoomId(' Maths class 3b! '), 'Maths-class-3b');
  assert.ok(isRoomId(randomRoomCode()));
  assert.equal(isRoomId('a/b'), false);
  assert.equal(isRoomId(''), false);
});

test('cursor and socket URL', () => {
  assert.deepEqual(cursorMsg(1.23456, 2e7), { type: 'cursor', data: { x: 1.23, y: 1e6 } });
  const url = socketUrl({ protocol: 'http:', host: '10.0.0.2:8080' }, 'r1', 'Zoë & co', 12);
  assert.equal(url, 'ws://10.0.0.2:8080/ws/r1?userId=Zo%C3%AB+%26+co&v=2&since=12');
  assert.ok(!socketUrl({ protocol: 'https:', host: 'h' }, 'r', 'u', null).includes('since'));
});

test('wireElement keeps line endpoints for seed lines', () => {
  const line = { id: 'l', elementType: 'line', x1: 0, y1: 0, x2: 5, y2: 5, strokeColor: '#000',
    strokeWidth: 1, userId: 'seed' };
  assert.deepEqual(Object.keys(wireElement(line)).sort(),
    ['elementType', 'id', 'strokeColor', 'strokeWidth', 'x1', 'x2', 'y1', 'y2']);
});

test('update carries ids and the change as given, and refuses what the server refuses', () => {
  const msg = updateMsg(['a', 'b'], { move: [1.5, -2], scale: [2, -0.5, 10, 20],
    set: { strokeColor: '#000', fillColor: null } });
  assert.deepEqual(msg, { type: 'update', data: { ids: ['a', 'b'], move: [1.5, -2],
    scale: [2, -0.5, 10, 20], set: { strokeColor: '#000', fillColor: null } } });
  assert.deepEqual(updateMsg(['a'], { move: [0.1 + 0.2, 0] }).data.move, [0.1 + 0.2, 0],
    'not rounded: the page applies the same numbers itself');
  assert.throws(() => updateMsg([], { move: [1, 1] }), /ids/);
  assert.throws(() => updateMsg(['a'], {}), /move, scale or set/);
  assert.throws(() => updateMsg(['a'], { move: [NaN, 0] }));
  assert.throws(() => updateMsg(['a'], { move: [2e6, 0] }), 'the server caps a move at 1e6');
  assert.throws(() => updateMsg(['a'], { scale: [2, 2, 0, -1e6 - 1] }));
  assert.throws(() => updateMsg(['a'], { scale: [0.0001, 1, 0, 0] }));
  assert.throws(() => updateMsg(['a'], { scale: [1001, 1, 0, 0] }));
  assert.doesNotThrow(() => updateMsg(['a'], { scale: [-1000, 0.001, 0, 0] }));
  assert.throws(() => updateMsg(['a'], { set: { color: '#000' } }), /no element type/);
  assert.throws(() => updateMsg(['a'], { set: { strokeColor: null } }), /strokeColor/);
  assert.throws(() => updateMsg(['a'], { set: { strokeWidth: 500 } }));
  assert.throws(() => updateMsg(['a'], { set: {} }));
  assert.throws(() => updateMsg(['a'], { set: { id: 'b' } }), 'identity fields are not settable');
  const ids = Array.from({ length: 2001 }, (_, i) => `e${i}`);
  assert.throws(() => updateMsg(ids, { move: [1, 1] }));
  assert.deepEqual(updateMsgs(ids, { move: [1, 1] }).map((m) => m.data.ids.length), [2000, 1]);
});

test('order, select and transform messages', () => {
  assert.deepEqual(orderMsg(['a'], 'front'), { type: 'order', data: { ids: ['a'], to: 'front' } });
  assert.throws(() => orderMsg(['a'], 'top'));
  assert.throws(() => orderMsg([], 'back'));
  assert.deepEqual(selectMsg([]), { type: 'select', data: { ids: [] } });
  const many = Array.from({ length: 2500 }, (_, i) => `e${i}`);
  assert.equal(selectMsg(many).data.ids.length, 2000);
  assert.throws(() => selectMsg(['x'.repeat(65)]));
  assert.deepEqual(transformMsg({ dx: 3, dy: 4 }), { type: 'transform', data: { dx: 3, dy: 4 } });
  assert.deepEqual(transformMsg({ dx: 0, dy: 0, sx: 2, sy: 2, ox: 5, oy: 6 }).data,
    { dx: 0, dy: 0, sx: 2, sy: 2, ox: 5, oy: 6 });
  assert.deepEqual(transformMsg(null), { type: 'transform', data: {} });
  assert.deepEqual(transformMsg({}), { type: 'transform', data: {} });
  assert.throws(() => transformMsg({ dx: 1, dy: 1, sx: 0 }));
  assert.throws(() => transformMsg({ dx: 1e7, dy: 1 }));
  assert.ok(JSON.stringify(transformMsg({ dx: 123.45, dy: -67.89, sx: 1.25, sy: 1.25, ox: 1000.5,
    oy: 2000.25 })).length < 120, 'a drag step is about 100 bytes');
});

test('LIMITS and the element types come from the registry', () => {
  assert.equal(LIMITS.MAX_IDS, 2000);
  for (const t of ['line', 'arrow', 'rect', 'path', 'highlighter', 'text', 'sticky']) {
    assert.ok(ELEMENT_TYPES.has(t), t);
  }
});

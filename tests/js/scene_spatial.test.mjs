// The scene's spatial queries use the index kept in step with what is displayed, and an append
// grows a stroke in place without ever changing an element someone else keeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Scene } from '../../static/app/scene.js';

const rect = (id, x, y, w = 10, h = 10, userId = 'ann') => ({ id, elementType: 'rect', x, y,
  width: w, height: h, strokeColor: '#000000', strokeWidth: 2, userId });
const path = (id, points, userId = 'ann') => ({ id, elementType: 'path', points,
  strokeColor: '#000000', strokeWidth: 2, userId });

function synced(elements = [], seq = 0) {
  const s = new Scene();
  s.applySync({ elements, seq, userId: 'me', color: '#e6194b', users: [] });
  return s;
}

test('hitTopmost: the topmost element whose outline is under the point, not its box', () => {
  const s = synced([rect('low', 0, 0, 100, 100), rect('high', 0, 0, 100, 100),
    { ...rect('filled', 200, 0, 50, 50), fillColor: '#ff0000' }], 3);
  assert.equal(s.hitTopmost(0, 50, 2).id, 'high');
  assert.equal(s.hitTopmost(50, 50, 2), null); // inside an unfilled rect: no ink there
  assert.equal(s.hitTopmost(225, 25, 2).id, 'filled');
  s.applyChange({ type: 'order', userId: 'bob', seq: 4, data: { ids: ['low'], to: 'front' } });
  assert.equal(s.hitTopmost(0, 50, 2).id, 'low');
  s.localOrder(['high'], 'front', true);
  assert.equal(s.hitTopmost(0, 50, 2).id, 'high');
});

test('idsInBox: only elements entirely inside, in board order', () => {
  const s = synced([rect('b', 50, 50), rect('a', 10, 10), rect('big', 0, 0, 500, 500)], 3);
  assert.deepEqual(s.idsInBox(0, 0, 100, 100), ['b', 'a']);
  assert.deepEqual(s.idsInBox(100, 100, 0, 0), ['b', 'a']); // corners either way round
  assert.deepEqual(s.idsInBox(-10, -10, 600, 600), ['b', 'a', 'big']);
});

test('idsNear (the eraser) follows local and remote changes with no rebuild', () => {
  const s = synced([rect('a', 0, 0)], 1);
  assert.deepEqual(s.idsNear(0, 5, 3), ['a']);
  s.localUpdate(['a'], { move: [1000, 0] }, true);
  assert.deepEqual(s.idsNear(0, 5, 3), []);
  assert.deepEqual(s.idsNear(1000, 5, 3), ['a']);
  s.applyChange({ type: 'draw', userId: 'bob', seq: 2, data: rect('b', 0, 0) });
  assert.deepEqual(s.idsNear(0, 5, 3), ['b']);
  s.localErase(['b'], true);
  assert.deepEqual(s.idsNear(0, 5, 3), []);
  s.applyChange({ type: 'update', userId: 'bob', seq: 3, data: { ids: ['a'], move: [0, 500] } });
  s.applyChange({ type: 'update', userId: 'me', seq: 4, data: { ids: ['a'], move: [1000, 0] } });
  assert.deepEqual(s.idsNear(1000, 505, 3), ['a']);
  s.applyChange({ type: 'clear', userId: 'bob', seq: 5, data: {} });
  assert.deepEqual(s.idsNear(1000, 505, 3), []);
});

test('live strokes are found while they grow, local and remote', () => {
  const s = synced();
  s.localDraw(path('mine', [[0, 0]], 'me'), true, true);
  s.localAppend('mine', [[300, 0]], true);
  assert.deepEqual(s.idsNear(300, 0, 2), ['mine']);
  assert.deepEqual(s.idsNear(150, 0, 2), ['mine']);
  s.applyChange({ type: 'draw', userId: 'bob', seq: 1, data: path('his', [[0, 100]], 'bob') });
  s.applyChange({ type: 'append', userId: 'bob', seq: 2,
    data: { id: 'his', points: [[0, 400]] } });
  assert.deepEqual(s.idsNear(0, 400, 2), ['his']);
  assert.deepEqual(s.boundsOf('his').y1 >= 400, true);
});

test('a remote append grows the points array in place: O(1), not a copy per append', () => {
  const s = synced([path('p', [[0, 0]])], 1);
  s.applyChange({ type: 'append', userId: 'ann', seq: 2, data: { id: 'p', points: [[1, 1]] } });
  const first = s.get('p').points;
  for (let i = 2; i < 50; i += 1) {
    s.applyChange({ type: 'append', userId: 'ann', seq: i + 1, data: { id: 'p', points: [[i, i]] } });
  }
  assert.equal(s.get('p').points, first); // the same array, grown
  assert.equal(first.length, 50);
});

test('a local append grows in place too, and a kept element is never changed', () => {
  const s = synced();
  s.localDraw(path('p', [[0, 0]], 'me'), true, true);
  s.localAppend('p', [[1, 1]], true);
  const arr = s.get('p').points;
  s.localAppend('p', [[2, 2]], true);
  assert.equal(s.get('p').points, arr);
  const kept = s.snapshot('p');
  s.localAppend('p', [[3, 3]], true);
  assert.deepEqual(kept.points, [[0, 0], [1, 1], [2, 2]]);
  assert.equal(s.get('p').points.length, 4);
});

test('an element taken by a local change (erase, update) is not grown afterwards', () => {
  const s = synced([path('p', [[0, 0]], 'bob')], 1);
  s.applyChange({ type: 'append', userId: 'bob', seq: 2, data: { id: 'p', points: [[1, 1]] } });
  const [[before]] = s.localUpdate(['p'], { set: { strokeColor: '#ff0000' } }, true);
  s.applyChange({ type: 'append', userId: 'bob', seq: 3, data: { id: 'p', points: [[2, 2]] } });
  s.applyChange({ type: 'append', userId: 'bob', seq: 4, data: { id: 'p', points: [[3, 3]] } });
  assert.deepEqual(before.points, [[0, 0], [1, 1]]);
  const [erased] = s.localErase(['p'], true);
  const n = erased.points.length;
  s.applyChange({ type: 'append', userId: 'bob', seq: 5, data: { id: 'p', points: [[4, 4]] } });
  assert.equal(erased.points.length, n);
});

test('the element a sync delivered is never grown in place (first append copies it)', () => {
  const delivered = path('p', [[0, 0]]);
  const s = synced([delivered], 1);
  s.applyChange({ type: 'append', userId: 'ann', seq: 2, data: { id: 'p', points: [[1, 1]] } });
  assert.deepEqual(delivered.points, [[0, 0]]);
  assert.equal(s.get('p').points.length, 2);
});

test('pointer queries and drag previews never walk the whole board', () => {
  const s = synced(Array.from({ length: 2000 }, (_, i) => rect(`e${i}`, (i % 50) * 20,
    Math.floor(i / 50) * 20)), 2000);
  s.warmUp();
  let walks = 0;
  const all = s.elements.bind(s);
  s.elements = function* counted() {
    walks += 1;
    yield* all();
  };
  for (let i = 0; i < 200; i += 1) {
    s.hitTopmost(i * 3, i * 2, 4);
    s.idsNear(i * 3, i * 2, 10);
    s.idsInBox(i, i, i + 100, i + 100);
  }
  s.applyEphemeral({ type: 'select', userId: 'bob', data: { ids: ['e1', 'e2'], color: '#000000' } });
  for (let i = 0; i < 30; i += 1) {
    s.applyEphemeral({ type: 'transform', userId: 'bob', data: { dx: i, dy: 0 } });
    s.previewed();
  }
  s.localUpdate(['e5'], { move: [1, 1] }, true);
  s.applyChange({ type: 'append', userId: 'bob', seq: 2001, data: { id: 'nope', points: [[0, 0]] } });
  assert.equal(walks, 0);
});

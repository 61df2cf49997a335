// Undo and redo touch only this client's own actions, and never overwrite what someone else
// changed afterwards. Each test drives a real Scene with server messages, as the page does.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { History, inverseTransform } from '../../static/app/history.js';
import { ids, path, rect, synced } from './fixtures.mjs';


/** A page: a scene, a history, and the local half of sending (what the controller does). */
function page(elements = [], seq = 0) {
  const scene = synced(elements, seq);
  const history = new History(200, scene);
  const around = (label, list, doIt, extra = {}) => {
    const before = new Map(list.map((id) => [id, scene.get(id) ?? null]));
    doIt();
    const after = new Map(list.map((id) => [id, scene.get(id) ?? null]));
    history.record({ label, before, after, ...extra }, scene);
  };
  const play = (step) => {
    if (!step) return step;
    if (step.erase.length) scene.localErase(step.erase, true);
    for (const el of step.draw) scene.localDraw(el, true);
    for (const u of step.updates) scene.localUpdate(u.ids, u.change, true);
    for (const o of step.orders) scene.localOrder(o.ids, o.to, true);
    history.after(step, scene);
    return step;
  };
  return {
    scene, history, around,
    draw: (el) => around('draw', [el.id], () => scene.localDraw(el, true)),
    erase: (list) => around('erase', list, () => scene.localErase(list, true)),
    update: (list, change, label = 'move') =>
      around(label, list, () => scene.localUpdate(list, change, true), { change }),
    undo: () => play(history.undo(scene)),
    redo: () => play(history.redo(scene)),
  };
}

test('undo of a draw erases it; redo draws the same element again', () => {
  const p = page();
  p.draw(rect('mine_1'));
  const step = p.undo();
  assert.deepEqual(step.erase, ['mine_1']);
  assert.deepEqual(ids(p.scene), []);
  const again = p.redo();
  assert.deepEqual(again.draw.map((e) => e.id), ['mine_1']);
  assert.deepEqual(ids(p.scene), ['mine_1']);
  assert.equal(p.history.canRedo, false);
});

test('undo of an erase draws the erased elements again', () => {
  const p = page([rect('a', 'ann'), rect('b', 'ann')], 2);
  p.erase(['a', 'b']);
  const step = p.undo();
  assert.deepEqual(step.draw.map((e) => e.id), ['a', 'b']);
  assert.deepEqual(ids(p.scene).sort(), ['a', 'b']);
  assert.deepEqual(p.redo().erase, ['a', 'b']);
});

test('undo of a 500-element move is one inverse update, not 500', () => {
  const els = Array.from({ length: 500 }, (_, i) => rect(`e${i}`, 'ann', i * 3));
  const p = page(els, 500);
  const list = els.map((e) => e.id);
  p.update(list, { move: [12.5, -3] });
  const step = p.undo();
  assert.equal(step.updates.length, 1);
  assert.equal(step.updates[0].ids.length, 500);
  assert.deepEqual(step.updates[0].change, { move: [-12.5, 3] });
  assert.equal(p.scene.get('e7').x, 21);
  const redo = p.redo();
  assert.equal(redo.updates.length, 1);
  assert.deepEqual(redo.updates[0].change, { move: [12.5, -3] });
  assert.equal(p.scene.get('e7').x, 33.5);
});

test('undo of a resize is one update with the inverse scale', () => {
  const p = page([rect('a', 'ann', 10), rect('b', 'ann', 30)], 2);
  const change = { scale: [2, 0.5, 10, 0], move: [4, 6] };
  p.update(['a', 'b'], change, 'resize');
  const step = p.undo();
  assert.equal(step.updates.length, 1);
  assert.deepEqual(step.updates[0].change, inverseTransform(change));
  for (const [id, x] of [['a', 10], ['b', 30]]) {
    const el = p.scene.get(id);
    assert.ok(Math.abs(el.x - x) < 1e-9 && Math.abs(el.width - 10) < 1e-9 &&
      Math.abs(el.y) < 1e-9 && Math.abs(el.height - 10) < 1e-9, JSON.stringify(el));
  }
});

test('undo of a restyle sets each old style back, one update per distinct old style', () => {
  const p = page([rect('a', 'ann'), { ...rect('b', 'ann'), strokeColor: '#00ff00' },
    rect('c', 'ann')], 3);
  p.update(['a', 'b', 'c'], { set: { strokeColor: '#ff0000' } }, 'restyle');
  const step = p.undo();
  assert.equal(step.updates.length, 2);
  assert.deepEqual(step.updates.map((u) => u.ids.sort()).sort(), [['a', 'c'], ['b']]);
  assert.equal(p.scene.get('a').strokeColor, '#000000');
  assert.equal(p.scene.get('b').strokeColor, '#00ff00');
  p.redo();
  assert.equal(p.scene.get('b').strokeColor, '#ff0000');
});

test('undo of a text edit puts the old text back; a removed fill comes back', () => {
  const text = { id: 't', elementType: 'text', x: 0, y: 0, text: 'old', fontSize: 20,
    strokeColor: '#000000', strokeWidth: 1, userId: 'me' };
  const p = page([text, { ...rect('r'), fillColor: '#123456' }], 2);
  p.update(['t'], { set: { text: 'new' } }, 'text');
  p.update(['r'], { set: { fillColor: null } }, 'restyle');
  p.undo();
  assert.equal(p.scene.get('r').fillColor, '#123456');
  p.undo();
  assert.equal(p.scene.get('t').text, 'old');
});

test("undo leaves alone an element someone else changed since; the rest is undone", () => {
  const p = page([rect('a', 'ann'), rect('b', 'ann', 20)], 2);
  p.update(['a', 'b'], { move: [5, 0] });
  p.scene.applyChange({ type: 'update', userId: 'me', seq: 3, data: { ids: ['a', 'b'], move: [5, 0] } });
  p.scene.applyChange({ type: 'update', userId: 'bob', seq: 4,
    data: { ids: ['b'], set: { strokeColor: '#ff0000' } } });
  const step = p.undo();
  assert.equal(step.skipped, true);
  assert.deepEqual(step.updates, [{ ids: ['a'], change: { move: [-5, -0] } }]);
  assert.equal(p.scene.get('a').x, 0);
  assert.equal(p.scene.get('b').x, 25); // Bob's version stands
  assert.equal(p.scene.get('b').strokeColor, '#ff0000');
});

test('a step nobody can undo any more is skipped, and undo goes on to the one before', () => {
  const p = page([rect('a', 'ann'), rect('b', 'ann')], 2);
  p.update(['a'], { move: [1, 0] }); // step 1
  p.update(['b'], { move: [2, 0] }); // step 2
  for (const [seq, id, dx] of [[3, 'a', 1], [4, 'b', 2]]) {
    p.scene.applyChange({ type: 'update', userId: 'me', seq, data: { ids: [id], move: [dx, 0] } });
  }
  p.scene.applyChange({ type: 'erase', userId: 'bob', seq: 5, data: { ids: ['b'] } });
  const step = p.undo(); // step 2 is skipped: its only element is gone
  assert.deepEqual(step.updates, [{ ids: ['a'], change: { move: [-1, -0] } }]);
  assert.deepEqual(ids(p.scene), ['a']); // b is not brought back
  assert.equal(p.undo(), null);
});

test('undo never erases an element someone else changed after I drew it', () => {
  const p = page();
  p.draw(rect('mine'));
  p.scene.applyChange({ type: 'draw', userId: 'me', seq: 1, data: rect('mine') });
  p.scene.applyChange({ type: 'update', userId: 'bob', seq: 2, data: { ids: ['mine'], move: [9, 9] } });
  assert.equal(p.undo(), null);
  assert.deepEqual(ids(p.scene), ['mine']);
});

test('the issue: student erases, teacher clears and writes a title, student undoes: nothing old comes back', () => {
  const p = page([rect('stroke', 'student')], 1);
  p.scene.userId = 'student';
  p.erase(['stroke']);
  p.scene.applyChange({ type: 'erase', userId: 'student', seq: 2, data: { ids: ['stroke'] } });
  p.scene.applyChange({ type: 'clear', userId: 'teacher', seq: 3, data: {} });
  p.scene.applyChange({ type: 'draw', userId: 'teacher', seq: 4,
    data: { id: 'title', elementType: 'text', x: 0, y: 0, text: 'Fractions', fontSize: 40,
      strokeColor: '#000000', strokeWidth: 1, userId: 'teacher' } });
  assert.equal(p.history.canUndo, false);
  assert.equal(p.undo(), null);
  assert.deepEqual(ids(p.scene), ['title']);
  assert.equal(p.scene.settled, true); // nothing was sent
});

test('a clear empties redo too, and history made after it works', () => {
  const p = page([rect('a', 'ann')], 1);
  p.update(['a'], { move: [1, 0] });
  p.undo();
  assert.equal(p.history.canRedo, true);
  p.scene.applyChange({ type: 'clear', userId: 'bob', seq: 2, data: {} });
  assert.equal(p.history.canRedo, false);
  p.draw(rect('n'));
  assert.deepEqual(p.undo().erase, ['n']);
});

test('redo is skipped when someone changed the element after my undo', () => {
  const p = page([rect('a', 'ann')], 1);
  p.update(['a'], { move: [5, 0] });
  p.undo();
  p.scene.applyChange({ type: 'update', userId: 'me', seq: 2, data: { ids: ['a'], move: [5, 0] } });
  p.scene.applyChange({ type: 'update', userId: 'me', seq: 3, data: { ids: ['a'], move: [-5, -0] } });
  p.scene.applyChange({ type: 'update', userId: 'bob', seq: 4, data: { ids: ['a'], move: [0, 8] } });
  assert.equal(p.redo(), null);
  assert.equal(p.scene.get('a').y, 8);
});

test('draw, move, undo both: float rounding of the inverse move is not a conflict', () => {
  const p = page();
  p.draw({ ...rect('a'), x: 0.1 });
  p.update(['a'], { move: [0.2, 0.7] });
  p.undo();
  assert.notEqual(p.scene.get('a').x, 0.1); // 0.1 + 0.2 - 0.2 is not 0.1 in doubles
  const step = p.undo();
  assert.ok(step);
  assert.deepEqual(step.erase, ['a']);
});

test('undo of bring-to-front sends what lay above back over it; redo brings it front again', () => {
  const p = page(['a', 'b', 'c'].map((i) => rect(i, 'ann')), 3);
  p.around('front', ['a'], () => p.scene.localOrder(['a'], 'front', true),
    { order: { ids: ['a'], to: 'front', others: ['b', 'c'] } });
  assert.deepEqual(ids(p.scene), ['b', 'c', 'a']);
  const step = p.undo();
  assert.deepEqual(step.orders, [{ ids: ['b', 'c'], to: 'front' }]);
  assert.deepEqual(ids(p.scene), ['a', 'b', 'c']);
  assert.deepEqual(p.redo().orders, [{ ids: ['a'], to: 'front' }]);
  assert.deepEqual(ids(p.scene), ['b', 'c', 'a']);
});

test('paste and duplicate (draws of several elements) undo as one erase', () => {
  const p = page();
  p.around('paste', ['p1', 'p2'], () => {
    p.scene.localDraw(rect('p1'), true);
    p.scene.localDraw(rect('p2'), true);
  });
  assert.deepEqual(p.undo().erase, ['p1', 'p2']);
  assert.deepEqual(ids(p.scene), []);
});

test('a stroke recorded when it ends is not changed by later points of the scene', () => {
  const p = page();
  p.scene.localDraw(path('s', [[0, 0]]), true, true);
  p.scene.localAppend('s', [[1, 1]], true);
  const el = p.scene.get('s');
  p.history.record({ label: 'draw', before: [['s', null]], after: [['s', el]] }, p.scene);
  p.scene.endLive('s');
  assert.deepEqual(p.history.done[0].after.get('s').points, [[0, 0], [1, 1]]);
});

test('the older push form still works, and the limit drops the oldest', () => {
  const scene = synced();
  const h = new History(2, scene);
  for (const id of ['1', '2', '3']) {
    scene.localDraw(rect(id), true);
    h.push({ kind: 'draw', element: scene.get(id) });
  }
  assert.deepEqual(h.undo().erase, ['3']);
  scene.localErase(['3'], true);
  assert.deepEqual(h.undo().erase, ['2']);
  scene.localErase(['2'], true);
  assert.equal(h.undo(), null);
});

test('without a board to look at, undo and redo still say what to send', () => {
  const h = new History();
  h.push({ kind: 'draw', element: rect('x') });
  assert.deepEqual(h.undo().erase, ['x']);
  assert.deepEqual(h.redo().draw.map((e) => e.id), ['x']);
});

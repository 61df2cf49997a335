// Undo and redo touch only this client's own actions.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { History } from '../../static/app/history.js';

const el = (id) => ({ id, elementType: 'rect', x: 0, y: 0, width: 1, height: 1 });

test('undo of a draw erases that one id; redo draws the same element again', () => {
  const h = new History();
  h.push({ kind: 'draw', element: el('mine_1') });
  assert.deepEqual(h.undo(), { erase: ['mine_1'] });
  assert.deepEqual(h.redo(), { draw: [el('mine_1')] });
  assert.equal(h.canRedo, false);
});

test('undo of an erase draws the erased elements again', () => {
  const h = new History();
  h.push({ kind: 'erase', elements: [el('a'), el('b')] });
  assert.deepEqual(h.undo(), { draw: [el('a'), el('b')] });
  assert.deepEqual(h.redo(), { erase: ['a', 'b'] });
});

test('a new action drops the redo stack; nothing to undo gives null', () => {
  const h = new History(2);
  assert.equal(h.undo(), null);
  h.push({ kind: 'draw', element: el('1') });
  h.push({ kind: 'draw', element: el('2') });
  h.push({ kind: 'draw', element: el('3') });
  h.undo();
  h.push({ kind: 'draw', element: el('4') });
  assert.equal(h.canRedo, false);
  assert.deepEqual(h.undo(), { erase: ['4'] });
  assert.deepEqual(h.undo(), { erase: ['2'] });
  assert.equal(h.undo(), null); // the limit dropped the oldest
});

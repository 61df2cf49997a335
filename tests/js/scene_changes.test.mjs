// The stored kinds `update` and `order` in the scene: applied to the confirmed board with the
// contract's arithmetic, shown at once when local, settled by the sender's echo.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ids, path, rect, synced } from './fixtures.mjs';


test('update from someone else: scale, then move, then set; the creator stays', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.applyChange({ type: 'update', userId: 'bob', seq: 2,
    data: { ids: ['a'], scale: [2, 3, 10, 10], move: [5, -5], set: { strokeColor: '#ff0000' } } });
  const a = s.get('a');
  assert.equal(a.x, (10 + (0 - 10) * 2) + 5);
  assert.equal(a.y, (10 + (0 - 10) * 3) - 5);
  assert.equal(a.width, 20);
  assert.equal(a.height, 30);
  assert.equal(a.strokeColor, '#ff0000');
  assert.equal(a.strokeWidth, 2); // never scaled
  assert.equal(a.userId, 'ann');
  assert.deepEqual(s.lastChange('a'), { seq: 2, userId: 'bob' });
});

test('update scales every point of a path, keeping pressure', () => {
  const s = synced([path('p', [[0, 0, 0.5], [10, 10, 1]], 'ann')], 1);
  s.applyChange({ type: 'update', userId: 'bob', seq: 2,
    data: { ids: ['p'], scale: [2, 2, 0, 0], move: [1, 1] } });
  assert.deepEqual(s.get('p').points, [[1, 1, 0.5], [21, 21, 1]]);
});

test('set skips fields the type lacks and null removes an optional one', () => {
  const s = synced([{ ...rect('r', 'ann'), fillColor: '#00ff00' }, path('p', [[0, 0]], 'ann')], 1);
  s.applyChange({ type: 'update', userId: 'bob', seq: 2,
    data: { ids: ['r', 'p'], set: { fillColor: null, strokeWidth: 6 } } });
  assert.equal('fillColor' in s.get('r'), false);
  assert.equal(s.get('r').strokeWidth, 6);
  assert.equal('fillColor' in s.get('p'), false);
  assert.equal(s.get('p').strokeWidth, 6);
});

test('an update of ids that are gone changes nothing and repaints nothing', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.takeChanges();
  s.applyChange({ type: 'update', userId: 'bob', seq: 2, data: { ids: ['zz'], move: [1, 1] } });
  assert.equal(s.takeChanges().full, false);
  assert.equal(s.get('a').x, 0);
});

test('local update shows at once, and its echo settles it exactly', () => {
  const s = synced([rect('a', 'ann'), rect('b', 'ann', 20)], 1);
  const pairs = s.localUpdate(['a', 'b'], { move: [3, 4] }, true);
  assert.equal(pairs.length, 2);
  assert.equal(pairs[0][0].x, 0);
  assert.equal(pairs[0][1].x, 3);
  assert.equal(s.get('a').x, 3);
  assert.equal(s.get('b').x, 23);
  assert.equal(s.settled, false);
  s.applyChange({ type: 'update', userId: 'me', seq: 2, data: { ids: ['a', 'b'], move: [3, 4] } });
  assert.equal(s.settled, true);
  assert.equal(s.pendingDraw.size, 0);
  assert.equal(s.get('a').x, 3);
  assert.equal(s.get('a').userId, 'ann');
});

test("two people's moves of one element: the server's order wins on every screen", () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [10, 0] }, true);
  // Bob's move reached the server first; ours is applied after it.
  s.applyChange({ type: 'update', userId: 'bob', seq: 2, data: { ids: ['a'], move: [0, 7] } });
  assert.equal(s.get('a').x, 10); // still our overlay until our echo
  s.applyChange({ type: 'update', userId: 'me', seq: 3, data: { ids: ['a'], move: [10, 0] } });
  assert.deepEqual([s.get('a').x, s.get('a').y], [10, 7]);
  assert.equal(s.settled, true);
  const repaint = s.takeChanges();
  assert.equal(repaint.full, true); // the overlay showed (10, 0), the board is (10, 7)
});

test('a local update of an element someone erases meanwhile goes away with it', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [10, 0] }, true);
  s.applyChange({ type: 'erase', userId: 'bob', seq: 2, data: { ids: ['a'] } });
  assert.deepEqual(ids(s), []);
  assert.equal(s.pendingDraw.size, 0);
  // The server skips the gone id: an ack without seq, no echo. Nothing is left pending.
  assert.equal(s.settled, true);
});

test('order front and back move ids in their board order; ranks follow', () => {
  const s = synced(['a', 'b', 'c', 'd'].map((i) => rect(i, 'ann')), 4);
  s.applyChange({ type: 'order', userId: 'bob', seq: 5, data: { ids: ['c', 'a'], to: 'front' } });
  assert.deepEqual(ids(s), ['b', 'd', 'a', 'c']);
  s.applyChange({ type: 'order', userId: 'bob', seq: 6, data: { ids: ['c', 'd'], to: 'back' } });
  assert.deepEqual(ids(s), ['d', 'c', 'b', 'a']);
  assert.ok(s.rankOf('d') < s.rankOf('c') && s.rankOf('c') < s.rankOf('b'));
  assert.deepEqual(s.lastChange('c'), { seq: 6, userId: 'bob' });
  // A new element still goes on top.
  s.applyChange({ type: 'draw', userId: 'bob', seq: 7, data: rect('e', 'bob') });
  assert.deepEqual(ids(s), ['d', 'c', 'b', 'a', 'e']);
});

test('local order shows at once above (or below) everything, then the echo settles it', () => {
  const s = synced(['a', 'b', 'c'].map((i) => rect(i, 'ann')), 3);
  s.localOrder(['a'], 'front', true);
  assert.deepEqual(ids(s), ['b', 'c', 'a']);
  // Someone's draw that reached the server before our order lies below it there too.
  s.applyChange({ type: 'draw', userId: 'bob', seq: 4, data: rect('x', 'bob') });
  assert.deepEqual(ids(s), ['b', 'c', 'x', 'a']);
  s.localOrder(['c', 'b'], 'back', true);
  assert.deepEqual(ids(s), ['b', 'c', 'x', 'a']);
  s.applyChange({ type: 'order', userId: 'me', seq: 5, data: { ids: ['a'], to: 'front' } });
  s.applyChange({ type: 'order', userId: 'me', seq: 6, data: { ids: ['b', 'c'], to: 'back' } });
  assert.equal(s.pendingOrder.size, 0);
  assert.equal(s.settled, true);
  assert.deepEqual(ids(s), ['b', 'c', 'x', 'a']);
});

test('own draws not yet echoed show above the confirmed board, in the order made', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localDraw(rect('n1'), true);
  s.localDraw(rect('n2'), true);
  s.applyChange({ type: 'draw', userId: 'bob', seq: 2, data: rect('b', 'bob') });
  assert.deepEqual(ids(s), ['a', 'b', 'n1', 'n2']);
  s.applyChange({ type: 'draw', userId: 'me', seq: 3, data: rect('n1') });
  assert.deepEqual(ids(s), ['a', 'b', 'n1', 'n2']);
  s.applyChange({ type: 'draw', userId: 'me', seq: 4, data: rect('n2') });
  assert.deepEqual(ids(s), ['a', 'b', 'n1', 'n2']);
  assert.equal(s.settled, true);
});

test('lastChange names the last stored change per id; erase and clear forget it', () => {
  const s = synced([], 0);
  s.applyChange({ type: 'draw', userId: 'ann', seq: 1, data: path('p', [[0, 0]], 'ann') });
  s.applyChange({ type: 'append', userId: 'ann', seq: 2, data: { id: 'p', points: [[1, 1]] } });
  assert.deepEqual(s.lastChange('p'), { seq: 2, userId: 'ann' });
  s.applyChange({ type: 'erase', userId: 'bob', seq: 3, data: { ids: ['p'] } });
  assert.equal(s.lastChange('p'), undefined);
  s.applyChange({ type: 'draw', userId: 'ann', seq: 4, data: rect('r', 'ann') });
  s.applyChange({ type: 'clear', userId: 'bob', seq: 5, data: {} });
  assert.equal(s.lastChange('r'), undefined);
});

test('a clear moves the epoch on (history from before it is void)', () => {
  const s = synced([rect('a', 'ann')], 1);
  const e = s.epoch;
  s.applyChange({ type: 'clear', userId: 'bob', seq: 2, data: {} });
  assert.equal(s.epoch, e + 1);
});

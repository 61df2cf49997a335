// The scene's confirmed state comes only from server messages; the local overlay never
// duplicates an element, and a reconnect re-sends exactly what the server lacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Scene } from '../../static/app/scene.js';

const path = (id, points, userId = 'me') => ({ id, elementType: 'path', points, strokeColor: '#000',
  strokeWidth: 2, userId });
const rect = (id, userId = 'me') => ({ id, elementType: 'rect', x: 0, y: 0, width: 10, height: 10,
  strokeColor: '#000', strokeWidth: 2, userId });
const ids = (scene) => [...scene.elements()].map((e) => e.id);

function synced(elements = [], seq = 0) {
  const s = new Scene();
  s.applySync({ elements, seq, userId: 'me', color: '#e6194b', users: [] });
  return s;
}

test('sync replaces the board and sets seq', () => {
  const s = synced([rect('a', 'bob'), rect('b', 'bob')], 7);
  assert.deepEqual(ids(s), ['a', 'b']);
  assert.equal(s.seq, 7);
  assert.equal(s.takeChanges().full, true);
});

test('own draw shows at once and its echo does not duplicate it', () => {
  const s = synced();
  s.localDraw(rect('r1'), true);
  assert.deepEqual(ids(s), ['r1']);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('r1'), seq: 1 });
  assert.deepEqual(ids(s), ['r1']);
  assert.equal(s.pendingDraw.size, 0);
  assert.equal(s.settled, true);
});

test('a message at or below the held seq is skipped', () => {
  const s = synced([], 5);
  assert.equal(s.applyChange({ type: 'draw', userId: 'bob', data: rect('x', 'bob'), seq: 5 }), false);
  assert.equal(s.size, 0);
  assert.equal(s.applyChange({ type: 'draw', userId: 'bob', data: rect('x', 'bob'), seq: 6 }), true);
  assert.equal(s.size, 1);
});

test('a replaced element keeps its place in board order', () => {
  const s = synced([rect('a', 'bob'), rect('b', 'bob')], 2);
  s.applyChange({ type: 'draw', userId: 'bob', data: { ...rect('a', 'bob'), width: 50 }, seq: 3 });
  assert.deepEqual(ids(s), ['a', 'b']);
  assert.equal(s.get('a').width, 50);
});

test('remote stroke grows by append and is live until it settles', () => {
  const s = synced();
  s.applyChange({ type: 'draw', userId: 'bob', data: path('p', [[0, 0]], 'bob'), seq: 1 }, 0);
  assert.equal(s.isLive('p'), true);
  s.applyChange({ type: 'append', userId: 'bob', data: { id: 'p', points: [[1, 1], [2, 2]] },
    seq: 2 }, 10);
  assert.equal(s.get('p').points.length, 3);
  s.expireLive(500);
  assert.equal(s.isLive('p'), true);
  s.expireLive(2000);
  assert.equal(s.isLive('p'), false);
});

test('own stroke streamed as draw + appends settles once every echo is back', () => {
  const s = synced();
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.localAppend('p', [[1, 1]], true);
  s.localAppend('p', [[2, 2]], true);
  s.endLive('p');
  s.applyChange({ type: 'draw', userId: 'me', data: path('p', [[0, 0]]), seq: 1 });
  s.applyChange({ type: 'append', userId: 'me', data: { id: 'p', points: [[1, 1]] }, seq: 2 });
  assert.equal(s.settled, false);
  assert.equal(s.get('p').points.length, 3); // the overlay still shows every local point
  s.applyChange({ type: 'append', userId: 'me', data: { id: 'p', points: [[2, 2]] }, seq: 3 });
  assert.equal(s.settled, true);
  assert.equal(s.pendingDraw.size, 0);
  assert.deepEqual(s.get('p').points, [[0, 0], [1, 1], [2, 2]]);
});

test('resume: only changes the server never saw are re-sent, as full draws', () => {
  const s = synced();
  s.localDraw(rect('got'), true); // reached the server: its echo comes in the catch-up
  s.localDraw(rect('lost'), true); // sent into a dead socket
  s.localDraw(rect('offline'), false); // drawn while disconnected
  s.applyResume({ userId: 'me', since: 0, seq: 1 });
  s.applyChange({ type: 'draw', userId: 'me', data: rect('got'), seq: 1 });
  const { draws, erases } = s.afterCatchUp();
  assert.deepEqual(draws.map((e) => e.id).sort(), ['lost', 'offline']);
  assert.deepEqual(erases, []);
  for (const el of draws) s.markResent('draw', el.id, true);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('lost'), seq: 2 });
  s.applyChange({ type: 'draw', userId: 'me', data: rect('offline'), seq: 3 });
  assert.equal(s.settled, true);
  assert.deepEqual(ids(s).sort(), ['got', 'lost', 'offline']);
});

test('full sync after reconnect: elements the server already has are not re-sent', () => {
  const s = synced();
  s.localDraw(rect('kept'), true);
  s.localDraw(path('p', [[0, 0], [5, 5]]), false);
  s.applySync({ elements: [rect('kept')], seq: 9, userId: 'me', color: '#000', users: [] });
  const { draws } = s.afterCatchUp();
  assert.deepEqual(draws.map((e) => e.id), ['p']);
});

test('an in-progress stroke is re-sent whole after a reconnect', () => {
  const s = synced();
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.localAppend('p', [[1, 1]], false);
  s.applyResume({ userId: 'me', since: 0, seq: 1 });
  s.applyChange({ type: 'draw', userId: 'me', data: path('p', [[0, 0]]), seq: 1 });
  const { draws } = s.afterCatchUp();
  assert.equal(draws.length, 1);
  assert.deepEqual(draws[0].points, [[0, 0], [1, 1]]);
  assert.equal(s.isLive('p'), true);
});

test('local erase hides at once; an unconfirmed erase is re-sent after reconnect', () => {
  const s = synced([rect('a', 'bob'), rect('b', 'bob')], 2);
  s.localErase(['a'], false);
  assert.deepEqual(ids(s), ['b']);
  s.applyResume({ userId: 'me', since: 2, seq: 2 });
  const { erases } = s.afterCatchUp();
  assert.deepEqual(erases, ['a']);
  s.markResent('erase', 'a', true);
  s.applyChange({ type: 'erase', userId: 'me', data: { ids: ['a'] }, seq: 3 });
  assert.deepEqual(ids(s), ['b']);
  assert.equal(s.pendingErase.size, 0);
});

test('clear keeps a draw still in flight (it comes after the clear on the server)', () => {
  const s = synced([rect('old', 'bob')], 1);
  s.localDraw(rect('new'), true);
  s.applyChange({ type: 'clear', userId: 'bob', data: {}, seq: 2 });
  assert.deepEqual(ids(s), ['new']);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('new'), seq: 3 });
  assert.deepEqual(ids(s), ['new']);
  assert.equal(s.settled, true);
});

test('a new element drawn last is painted on top, not by a full repaint', () => {
  const s = synced([rect('a', 'bob')], 1);
  s.takeChanges();
  s.applyChange({ type: 'draw', userId: 'bob', data: rect('b', 'bob'), seq: 2 });
  assert.deepEqual(s.takeChanges(), { full: false, top: ['b'], overlay: false });
  s.applyChange({ type: 'erase', userId: 'bob', data: { ids: ['a'] }, seq: 3 });
  assert.equal(s.takeChanges().full, true);
});

test('unknown element types are kept but never drawn or counted as errors', () => {
  const s = synced([{ id: 'z', elementType: 'hologram', strokeColor: '#000', strokeWidth: 1 }], 1);
  assert.equal(s.size, 1);
  s.applyChange({ type: 'draw', userId: 'bob', data: { id: 'q', elementType: 'sparkle' }, seq: 2 });
  assert.equal(s.confirmed.has('q'), true);
});

test('after a rate_limited refusal, only unconfirmed changes are sent again', () => {
  const s = synced();
  s.localDraw(rect('ok'), true);
  s.localDraw(rect('dropped'), true);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('ok'), seq: 1 });
  const { draws } = s.afterCatchUp(false);
  assert.deepEqual(draws.map((e) => e.id), ['dropped']);
  s.markResent('draw', 'dropped', true);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('dropped'), seq: 2 });
  assert.equal(s.settled, true);
  assert.deepEqual(ids(s), ['ok', 'dropped']);
});

test("someone else's erase of my confirmed element wins; nothing is re-sent", () => {
  const s = synced();
  s.localDraw(rect('mine'), true);
  s.applyChange({ type: 'draw', userId: 'me', data: rect('mine'), seq: 1 });
  s.applyChange({ type: 'erase', userId: 'bob', data: { ids: ['mine'] }, seq: 2 });
  assert.deepEqual(ids(s), []);
  s.applyResume({ userId: 'me', since: 2, seq: 2 });
  assert.deepEqual(s.afterCatchUp(), { draws: [], erases: [], updates: [], orders: [] });
});

test('a stroke being drawn is removed with a notice when a clear lands after its draw', () => {
  const s = synced([rect('old', 'bob')], 1);
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.applyChange({ type: 'draw', userId: 'me', data: path('p', [[0, 0]]), seq: 2 });
  s.applyChange({ type: 'clear', userId: 'bob', data: {}, seq: 3 });
  // The clear came after our draw on the server: the stroke is gone there, so it goes here too,
  // the person is told, and nothing more is sent for it.
  assert.deepEqual(ids(s), []);
  assert.equal(s.isGone('p'), true);
  assert.equal(s.localAppend('p', [[1, 1]], true), false);
  const notices = s.takeNotices();
  assert.equal(notices.length, 1);
  assert.equal(notices[0].id, 'p');
  assert.equal(notices[0].reason, 'cleared');
  assert.deepEqual(s.takeNotices(), []);
});

test('a stroke whose draw is still in flight survives a clear (it lands after it)', () => {
  const s = synced([rect('old', 'bob')], 1);
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.applyChange({ type: 'clear', userId: 'bob', data: {}, seq: 2 });
  assert.deepEqual(ids(s), ['p']);
  assert.equal(s.localAppend('p', [[1, 1]], true), true);
  s.applyChange({ type: 'draw', userId: 'me', data: path('p', [[0, 0]]), seq: 3 });
  s.applyChange({ type: 'append', userId: 'me', data: { id: 'p', points: [[1, 1]] }, seq: 4 });
  s.endLive('p');
  assert.equal(s.settled, true);
  assert.deepEqual(ids(s), ['p']);
  assert.deepEqual(s.takeNotices(), []);
});

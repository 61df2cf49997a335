// No silent divergence: after a reconnect, a drop or a refusal, the page ends up showing the
// server's board, re-sending only what the server lacks and never over someone's newer change.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ids, path, rect, synced } from './fixtures.mjs';


test('a lost move of my own element is re-sent as a full draw of what the page shows', () => {
  const s = synced([rect('a')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, true); // into a dead socket
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  const { draws, updates } = s.afterCatchUp();
  assert.deepEqual(draws.map((e) => [e.id, e.x]), [['a', 5]]);
  assert.deepEqual(updates, []);
  s.markResent('draw', 'a', true);
  s.applyChange({ type: 'draw', userId: 'me', seq: 2, data: { ...rect('a'), x: 5 } });
  assert.equal(s.settled, true);
  assert.equal(s.get('a').x, 5);
});

test("a lost move of someone else's element is re-sent as an update that keeps its creator", () => {
  const s = synced([{ ...rect('a', 'ann'), fillColor: '#ff0000' }], 1);
  s.localUpdate(['a'], { move: [5, 0], set: { fillColor: null } }, false);
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  const { draws, updates } = s.afterCatchUp();
  assert.deepEqual(draws, []);
  assert.equal(updates.length, 1);
  assert.equal(updates[0].type, 'update');
  assert.deepEqual(updates[0].data.ids, ['a']);
  assert.equal(updates[0].data.set.x, 5);
  assert.equal(updates[0].data.set.fillColor, null);
  assert.equal('userId' in updates[0].data.set, false);
  s.applyChange({ type: 'update', userId: 'me', seq: 2, data: updates[0].data });
  assert.equal(s.settled, true);
  assert.equal(s.get('a').x, 5);
  assert.equal(s.get('a').userId, 'ann');
  assert.equal('fillColor' in s.get('a'), false);
});

test("a re-send never overwrites someone else's newer change (resume)", () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, true); // lost
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  // While we were away Bob restyled it: his change is newer than ours.
  s.applyChange({ type: 'update', userId: 'bob', seq: 2,
    data: { ids: ['a'], set: { strokeColor: '#00ff00' } } });
  const { draws, updates } = s.afterCatchUp();
  assert.deepEqual(draws, []);
  assert.deepEqual(updates, []);
  assert.equal(s.get('a').strokeColor, '#00ff00');
  assert.equal(s.get('a').x, 0); // the server's board, as everyone else sees it
  assert.equal(s.settled, true);
});

test("a re-send never overwrites someone else's newer change (full sync)", () => {
  const s = synced([rect('a', 'ann'), rect('b', 'ann', 50)], 1);
  s.localUpdate(['a', 'b'], { move: [5, 0] }, true); // lost
  // A full sync: Bob moved a; b is as we left it before our move.
  s.applySync({ elements: [{ ...rect('a', 'ann'), y: 40 }, rect('b', 'ann', 50)], seq: 9,
    userId: 'me', color: '#000000', users: [] });
  const { draws, updates } = s.afterCatchUp();
  assert.deepEqual(draws, []);
  assert.deepEqual(updates.map((m) => m.data.ids[0]), ['b']);
  assert.equal(s.get('a').y, 40);
  assert.equal(s.get('a').x, 0);
  assert.equal(s.get('b').x, 55);
});

test('a change of mine that did land is not re-sent after a full sync', () => {
  const s = synced([rect('a')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, true);
  s.applySync({ elements: [{ ...rect('a'), x: 5 }], seq: 2, userId: 'me', color: '#000000',
    users: [] });
  assert.deepEqual(s.afterCatchUp(), { draws: [], erases: [], updates: [], orders: [] });
  assert.equal(s.settled, true);
});

test('a lost order is sent again as an order message', () => {
  const s = synced([rect('a', 'ann'), rect('b', 'ann')], 2);
  s.localOrder(['a'], 'front', false);
  s.applyResume({ userId: 'me', since: 2, seq: 2 });
  const { orders } = s.afterCatchUp();
  assert.deepEqual(orders.map((m) => [m.type, m.data]), [['order', { ids: ['a'], to: 'front' }]]);
  assert.equal(s.pendingOrder.size, 0);
});

test('an element erased by someone while my change to it was lost stays erased', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, false);
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  s.applyChange({ type: 'erase', userId: 'bob', seq: 2, data: { ids: ['a'] } });
  const { draws, updates } = s.afterCatchUp();
  assert.deepEqual([draws, updates], [[], []]);
  assert.deepEqual(ids(s), []);
});

for (const code of ['bad_element', 'board_full', 'forbidden', 'read_only', 'storage_error']) {
  test(`a refused update (${code}) drops its overlay so the page shows the server's board`, () => {
    const s = synced([rect('a', 'ann'), rect('b', 'ann', 20), rect('c', 'ann', 40)], 3);
    s.localUpdate(['a', 'b'], { move: [5, 0] }, true);
    s.localUpdate(['c'], { move: [1, 0] }, true);
    const out = s.onRefused({ code, message: 'no', ref: 'a' });
    assert.deepEqual(out.dropped.sort(), ['a', 'b']);
    assert.ok(out.notice.length > 0);
    assert.equal(s.get('a').x, 0);
    assert.equal(s.get('b').x, 20);
    assert.equal(s.get('c').x, 41); // another message, still in flight
    const notices = s.takeNotices();
    assert.deepEqual(notices.map((n) => [n.kind, n.code]), [['refused', code]]);
    assert.equal(String(notices[0]), out.notice);
  });
}

test('a refused draw drops the local element', () => {
  const s = synced([], 0);
  s.localDraw(rect('n'), true);
  const out = s.onRefused({ code: 'board_full', message: 'full', ref: 'n' });
  assert.deepEqual(out.dropped, ['n']);
  assert.deepEqual(ids(s), []);
  assert.equal(s.settled, true);
});

test('a refused order and a refused erase drop their overlays', () => {
  const s = synced([rect('a', 'ann'), rect('b', 'ann')], 2);
  s.localOrder(['a'], 'front', true);
  s.localErase(['b'], true);
  assert.deepEqual(ids(s), ['a']);
  s.onRefused({ code: 'forbidden', message: 'no', ref: 'a' });
  s.onRefused({ code: 'forbidden', message: 'no', ref: 'b' });
  assert.deepEqual(ids(s), ['a', 'b']);
  assert.equal(s.settled, true);
});

test('rate_limited keeps the re-send path: nothing is dropped', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, true);
  const out = s.onRefused({ code: 'rate_limited', message: 'slow down' });
  assert.equal(out.resend, true);
  assert.equal(s.get('a').x, 5);
  const { updates } = s.afterCatchUp(false);
  assert.equal(updates.length, 1);
});

test('not_found for an append: the stroke goes away with a notice, nothing more is sent', () => {
  const s = synced([], 0);
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.applyChange({ type: 'draw', userId: 'me', seq: 1, data: path('p', [[0, 0]]) });
  s.localAppend('p', [[1, 1]], true);
  const out = s.onRefused({ code: 'not_found', message: 'gone', ref: 'p' });
  assert.deepEqual(out.dropped, ['p']);
  assert.equal(s.isGone('p'), true);
  assert.equal(s.localAppend('p', [[2, 2]], true), false);
  const notices = s.takeNotices();
  assert.equal(notices.length, 1);
  assert.equal(notices[0].kind, 'strokeGone');
  // The page shows what the server has: the stroke as far as the server got it.
  assert.deepEqual(s.get('p').points, [[0, 0]]);
});

test('a stroke erased by someone while I draw it goes away with a notice', () => {
  const s = synced([], 0);
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.localAppend('p', [[1, 1]], true);
  s.applyChange({ type: 'draw', userId: 'me', seq: 1, data: path('p', [[0, 0]]) });
  s.applyChange({ type: 'erase', userId: 'bob', seq: 2, data: { ids: ['p'] } });
  assert.deepEqual(ids(s), []);
  assert.equal(s.isLive('p'), false);
  assert.equal(s.localAppend('p', [[2, 2]], true), false);
  assert.deepEqual(s.takeNotices().map((n) => n.reason), ['erased']);
  // Its appends come back not_found: no second notice.
  assert.equal(s.onRefused({ code: 'not_found', ref: 'p' }).notice, '');
  assert.deepEqual(s.takeNotices(), []);
  assert.deepEqual(s.takeNotices(), []);
  assert.equal(s.settled, true);
});

test('a draw made offline survives a clear that happened meanwhile (it comes after it)', () => {
  const s = synced([rect('old', 'bob')], 1);
  s.localDraw(rect('new'), false);
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  s.applyChange({ type: 'clear', userId: 'bob', seq: 2, data: {} });
  const { draws } = s.afterCatchUp();
  assert.deepEqual(draws.map((e) => e.id), ['new']);
});

test('a clear drops local updates to elements it removed', () => {
  const s = synced([rect('a', 'ann')], 1);
  s.localUpdate(['a'], { move: [5, 0] }, true);
  s.applyChange({ type: 'clear', userId: 'bob', seq: 2, data: {} });
  assert.deepEqual(ids(s), []);
  assert.equal(s.settled, true);
  s.applyResume({ userId: 'me', since: 2, seq: 2 });
  assert.deepEqual(s.afterCatchUp().draws, []);
});

test('a full draw re-sent after a reconnect brings a stroke back after a clear', () => {
  const s = synced([], 0);
  s.localDraw(path('p', [[0, 0]]), true, true);
  s.applyChange({ type: 'draw', userId: 'me', seq: 1, data: path('p', [[0, 0]]) });
  s.localAppend('p', [[1, 1]], false); // offline
  s.applyResume({ userId: 'me', since: 1, seq: 1 });
  const { draws } = s.afterCatchUp();
  assert.equal(draws.length, 1);
  s.markResent('draw', 'p', true);
  // A clear that the server got before our re-sent draw: the draw lands after it.
  s.applyChange({ type: 'clear', userId: 'bob', seq: 2, data: {} });
  assert.deepEqual(ids(s), ['p']);
  assert.deepEqual(s.takeNotices(), []);
});

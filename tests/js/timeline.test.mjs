// The lesson timeline's model (static/app/timeline.js): the board at any position of a
// recorded change log is what a connected page had right after that change, whichever way
// the position is reached (forward, backward, far jumps across checkpoints).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Scene } from '../../static/app/scene.js';
import { CHECKPOINT_EVERY, joinPages, Timeline } from '../../static/app/timeline.js';

const path = (id, points, userId) => ({ id, elementType: 'path', points,
  strokeColor: '#1e1e1e', strokeWidth: 2, userId });
const rect = (id, x, userId) => ({ id, elementType: 'rect', x, y: 0, width: 10, height: 10,
  strokeColor: '#e03131', strokeWidth: 2, userId });

/** A recorded lesson: strokes drawn and grown by two people, erases, moves, orders, a clear. */
function recordedLesson(n = 900) {
  const log = [];
  let seq = 10;
  const push = (type, userId, data) => log.push({ type, userId, data, seq: ++seq });
  const live = [];
  for (let i = 0; i < n; i += 1) {
    const who = i % 3 ? 'ann' : 'bob';
    const id = `s${i}`;
    if (i % 7 === 3) push('draw', who, rect(`r${i}`, i, who));
    push('draw', who, path(id, [[i, 0], [i + 1, 1]], who));
    live.push(id);
    push('append', who, { id, points: [[i + 2, 2], [i + 3, 3]] });
    if (i % 11 === 5) push('erase', 'bob', { ids: [`s${i - 3}`] });
    if (i % 13 === 6) push('update', 'ann', { ids: [`s${i - 1}`], move: [5, -2] });
    if (i % 17 === 8) push('order', 'bob', { ids: [`s${i - 2}`], to: 'back' });
    if (i % 19 === 9) push('append', who, { id: `s${i - 1}`, points: [[0, 9]] });
    if (i === Math.floor(n / 2)) push('clear', 'bob', {});
  }
  return log;
}

/** What a connected page shows after each change: its element ids and JSON, per position. */
function liveBoards(base, oldest, log) {
  const page = new Scene();
  page.applySync({ elements: base, seq: oldest, userId: 'watcher', users: [] });
  const out = [JSON.stringify([...page.elements()])];
  for (const msg of log) {
    page.applyChange(msg, 0);
    out.push(JSON.stringify([...page.elements()]));
  }
  return out;
}

const base = [rect('old1', 0, 'ann'), path('old2', [[0, 0]], 'bob')];

test('the board at every position equals the connected page after that change', () => {
  const log = recordedLesson();
  assert.ok(log.length > 3 * CHECKPOINT_EVERY, 'the log spans several checkpoints');
  const expected = liveBoards(base, 10, log);
  const tl = new Timeline({ oldest: 10, base, changes: log });
  assert.equal(tl.length, log.length);
  // Forward one at a time, then backward one at a time, then random jumps.
  for (let i = 0; i <= tl.length; i += 1) {
    assert.equal(JSON.stringify(tl.elementsAt(i)), expected[i], `forward at ${i}`);
  }
  for (let i = tl.length; i >= 0; i -= 3) {
    assert.equal(JSON.stringify(tl.elementsAt(i)), expected[i], `backward at ${i}`);
  }
  let x = 12345;
  for (let k = 0; k < 300; k += 1) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const i = x % (tl.length + 1);
    assert.equal(JSON.stringify(tl.elementsAt(i)), expected[i], `jump to ${i}`);
  }
});

test('kept boards are not changed by later appends (points are never grown in place)', () => {
  const log = [];
  let seq = 0;
  log.push({ type: 'draw', userId: 'ann', data: path('p', [[0, 0]], 'ann'), seq: ++seq });
  for (let i = 0; i < 3 * CHECKPOINT_EVERY; i += 1) {
    log.push({ type: 'append', userId: 'ann', data: { id: 'p', points: [[i, i]] }, seq: ++seq });
  }
  const tl = new Timeline({ oldest: 0, changes: log });
  for (const i of [tl.length, CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY + 5, 1, tl.length, 7]) {
    assert.equal(tl.elementsAt(i)[0].points.length, i, `points at ${i}`);
  }
});

test('the person filter keeps that person\'s elements only, in board order', () => {
  const log = recordedLesson(60);
  const tl = new Timeline({ oldest: 10, base, changes: log });
  const all = tl.elementsAt(tl.length);
  const bob = tl.elementsAt(tl.length, 'bob');
  assert.ok(bob.length > 0 && bob.length < all.length);
  assert.deepEqual(bob, all.filter((e) => e.userId === 'bob'));
  const people = tl.people().map((p) => p.userId);
  assert.deepEqual(people, ['ann', 'bob']);
});

test('positions and seqs: indexOf finds the board right after a seq, gaps included', () => {
  const log = [3, 4, 9, 12].map((seq, i) => ({ type: 'draw', userId: 'a',
    data: rect(`r${i}`, i, 'a'), seq }));
  const tl = new Timeline({ oldest: 2, changes: log });
  assert.equal(tl.seqAt(0), 2);
  assert.equal(tl.seqAt(3), 9);
  assert.equal(tl.indexOf(2), 0);
  assert.equal(tl.indexOf(9), 3);
  assert.equal(tl.indexOf(11), 3);
  assert.equal(tl.indexOf(100), 4);
});

test('settled elements: no later change names them; clears are noted', () => {
  const log = [
    { type: 'draw', userId: 'a', data: path('p', [[0, 0]], 'a'), seq: 1 },
    { type: 'append', userId: 'a', data: { id: 'p', points: [[1, 1]] }, seq: 2 },
    { type: 'draw', userId: 'a', data: rect('r', 0, 'a'), seq: 3 },
    { type: 'clear', userId: 'a', data: {}, seq: 4 },
    { type: 'draw', userId: 'a', data: rect('q', 0, 'a'), seq: 5 },
    { type: 'erase', userId: 'a', data: { ids: ['q'] }, seq: 6 },
    { type: 'draw', userId: 'a', data: rect('s', 0, 'a'), seq: 7 },
    { type: 'update', userId: 'a', data: { ids: ['s'], move: [1, 1] }, seq: 8 },
  ];
  const tl = new Timeline({ oldest: 0, changes: log });
  assert.ok(!tl.settledAt('p', 1), 'still growing');
  assert.ok(tl.settledAt('p', 2));
  assert.ok(tl.settledAt('r', 3));
  assert.ok(!tl.settledAt('q', 5), 'erased later');
  assert.ok(!tl.settledAt('s', 7), 'moved later');
  assert.ok(tl.settledAt('s', 8));
  assert.deepEqual(tl.clears, [4]);
  assert.equal(tl.lastClear(3), 0);
  assert.equal(tl.lastClear(4), 4);
  assert.equal(tl.lastClear(8), 4);
});

test('more pages of the log join in order; duplicates and older seqs are skipped', () => {
  const page1 = { oldest: 0, seq: 5, changes: [1, 2, 3].map((seq) => ({ type: 'draw',
    userId: 'a', data: rect(`r${seq}`, seq, 'a'), seq })) };
  const page2 = { oldest: 0, seq: 5, changes: [3, 4, 5].map((seq) => ({ type: 'draw',
    userId: 'a', data: rect(`r${seq}`, seq, 'a'), seq })) };
  const changes = joinPages([page1, page2]);
  assert.deepEqual(changes.map((c) => c.seq), [1, 2, 3, 4, 5]);
  const tl = new Timeline({ oldest: 0, changes: changes.slice(0, 2) });
  tl.elementsAt(1);
  assert.equal(tl.add(changes), 3);
  assert.equal(tl.add(changes), 0);
  assert.equal(tl.elementsAt(tl.length).length, 5);
  assert.equal(tl.elementsAt(1).length, 1, 'the position asked before is still reachable');
});

test('loading a lesson: from the oldest kept board, paged on until the current seq', async () => {
  const { loadLesson } = await import('../../static/app/ui/timeline.js');
  const all = [];
  for (let seq = 41; seq <= 52; seq += 1) {
    all.push({ type: 'draw', userId: 'a', data: rect(`r${seq}`, seq, 'a'), seq });
  }
  const asked = [];
  const api = {
    changes: async (after) => {
      asked.push(after);
      const from = after === null ? 40 : after;
      return { ok: true, data: { oldest: 40, seq: 52,
        changes: all.filter((c) => c.seq > from).slice(0, 5) } };
    },
    boardAt: async (seq) => ({ ok: true, data: { seq, elements: [rect('old', 0, 'b')] } }),
  };
  const lesson = await loadLesson(api);
  assert.deepEqual(asked, [null, 45, 50]);
  assert.equal(lesson.oldest, 40);
  assert.deepEqual(lesson.base.map((e) => e.id), ['old']);
  assert.deepEqual(lesson.changes.map((c) => c.seq), all.map((c) => c.seq));
  const tl = new Timeline(lesson);
  assert.equal(tl.elementsAt(0).length, 1);
  assert.equal(tl.elementsAt(tl.length).length, 13);

  // A board kept longer than a lesson: the timeline starts `most` changes before the end.
  asked.length = 0;
  const recent = await loadLesson(api, 6);
  assert.equal(recent.oldest, 46);
  assert.deepEqual(asked, [null, 46, 51]);
  assert.deepEqual(recent.changes.map((c) => c.seq), [47, 48, 49, 50, 51, 52]);

  const never = await loadLesson({ changes: async () => ({ ok: false, status: 404 }) });
  assert.match(never.error, /nothing was drawn/);
  const failed = await loadLesson({
    changes: async () => ({ ok: true, data: { oldest: 3, seq: 9, changes: [] } }),
    boardAt: async () => ({ ok: false, status: 410, error: 'gone' }),
  });
  assert.equal(failed.error, 'gone');
});

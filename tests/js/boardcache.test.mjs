// The board copy written by change (static/app/boardrows.js, used by boardcache.js): which
// element rows a save writes given what it last wrote and the scene's confirmed board
// (compared by identity), and how a kept copy is put back in board order, anything
// inconsistent being no copy. The IndexedDB side runs in Chromium (tests/e2e/test_rejoin.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chunked, keptBoard, WrittenRows } from '../../static/app/boardrows.js';
import { Board } from '../../static/app/scene/board.js';

const stroke = (id, x = 0) => ({ id, elementType: 'path', points: [[x, 0], [x + 5, 5]] });
const strokes = (n, prefix = 's') => Array.from({ length: n }, (_, i) => stroke(`${prefix}${i}`, i));

function boardOf(elements) {
  const board = new Board();
  board.reset(elements);
  return board;
}

/** The rows a plan puts, as {n: [ids]}. */
const putIds = (plan) => Object.fromEntries(plan.puts.map(([n, els]) => [n, els.map((e) => e.id)]));

/** What the written rows hold, as {n: [ids]} (sorted ids). */
const held = (w) => Object.fromEntries([...w.rows].map(([n, ids]) => [n, [...ids].sort()]));

test('the first save cuts the board into rows in board order', () => {
  const board = boardOf(strokes(7));
  const w = new WrittenRows(3);
  const plan = w.plan(board, true);
  assert.equal(plan.full, true);
  assert.deepEqual(putIds(plan), { 0: ['s0', 's1', 's2'], 1: ['s3', 's4', 's5'], 2: ['s6'] });
  assert.deepEqual(plan.order, ['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
  assert.equal(w.els.size, 0, 'nothing is taken before the write is on disk');
  w.apply(plan);
  assert.equal(w.next, 3);
  assert.equal(w.els.get('s4'), board.get('s4'));
  assert.equal(w.rowOf.get('s4'), 1);
});

test('after changes, only the rows holding a new, replaced or erased element are written', () => {
  const els = strokes(9);
  const board = boardOf(els);
  const w = new WrittenRows(3);
  w.apply(w.plan(board, true)); // rows 0: s0-s2, 1: s3-s5, 2: s6-s8
  // As the scene does: an update replaces s1's object, an erase removes s7, an order to the
  // front moves s4 without replacing it, and a draw adds d.
  const s1 = { ...els[1], points: [[1, 1], [6, 6]] };
  board.set('s1', s1);
  board.delete('s7');
  board.front(['s4']);
  board.set('d', stroke('d', 9));
  const plan = w.plan(board);
  assert.equal(plan.full, false);
  assert.deepEqual([plan.kept, plan.changed, plan.removed], [7, 2, ['s7']]);
  // d goes into the room s7 left in row 2: rows 0 and 2 are written, row 1 is not.
  assert.deepEqual(putIds(plan), { 0: ['s0', 's1', 's2'], 2: ['s6', 's8', 'd'] });
  assert.equal(plan.puts.find(([n]) => n === 0)[1][1], s1);
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(plan.order, ['s0', 's1', 's2', 's3', 's5', 's6', 's8', 's4', 'd']);
  w.apply(plan);
  assert.deepEqual(held(w), { 0: ['s0', 's1', 's2'], 1: ['s3', 's4', 's5'], 2: ['d', 's6', 's8'] });
  assert.equal(w.els.get('s1'), s1);
  assert.equal(w.els.has('s7'), false);
  // Nothing changed since: nothing to write but the board row.
  const again = w.plan(board);
  assert.deepEqual([again.puts, again.deletes, again.kept], [[], [], 9]);
});

test('new elements fill rows with room, then open new rows; emptied rows are deleted', () => {
  const board = boardOf(strokes(4));
  const w = new WrittenRows(3);
  w.apply(w.plan(board, true)); // 0: s0-s2, 1: s3
  for (const id of ['a', 'b', 'c', 'e']) board.set(id, stroke(id));
  let plan = w.plan(board);
  assert.deepEqual(putIds(plan), { 1: ['s3', 'a', 'b'], 2: ['c', 'e'] });
  assert.equal(plan.next, 3);
  w.apply(plan);
  for (const id of ['s0', 's1', 's2']) board.delete(id);
  plan = w.plan(board);
  assert.deepEqual([plan.puts, plan.deletes], [[], [0]]);
  w.apply(plan);
  assert.deepEqual(held(w), { 1: ['a', 'b', 's3'], 2: ['c', 'e'] });
  // Numbers of deleted rows are not reused while the page knows them: new rows are new.
  assert.equal(w.next, 3);
});

test('a sync (every object new) keeps nothing; rows grown past twice the need are redone', () => {
  const els = strokes(6);
  const w = new WrittenRows(3);
  w.apply(w.plan(boardOf(els), true));
  const synced = w.plan(boardOf(els.map((e) => ({ ...e }))));
  assert.equal(synced.kept, 0, 'an equal but new object is a change: identity says so');
  // Erase all but one element of each of many rows: the rows left would be too many.
  const big = boardOf(strokes(60));
  const v = new WrittenRows(3);
  v.apply(v.plan(big, true)); // twenty rows
  big.delete('s1');
  assert.equal(v.plan(big).full, false, 'a few holes are kept');
  for (let i = 0; i < 60; i += 1) if (i % 3) big.delete(`s${i}`);
  const plan = v.plan(big); // twenty elements in twenty rows, where seven would do
  assert.equal(plan.full, true);
  assert.equal(plan.puts.length, 7);
  assert.deepEqual(plan.puts[0][1].map((e) => e.id), ['s0', 's3', 's6']);
  assert.deepEqual(plan.puts[6][1].map((e) => e.id), ['s54', 's57']);
  v.apply(plan);
  assert.equal(v.rows.size, 7);
  assert.equal(v.els.size, 20);
});

test('what a load read is what the next save compares with', () => {
  const els = strokes(5);
  const rows = chunked(els, 2);
  assert.deepEqual(rows.map(([n, r]) => [n, r.length]), [[0, 2], [1, 2], [2, 1]]);
  const w = WrittenRows.of(rows, 2);
  assert.equal(w.next, 3);
  const board = boardOf(els); // the scene holds the very objects read
  assert.deepEqual(w.plan(board).puts, []);
  board.set('s2', { ...els[2] });
  assert.deepEqual(putIds(w.plan(board)), { 1: ['s2', 's3'] });
});

const row = (order, extra = {}) => ({ id: 'm', seq: 7, origin: 'a1b2', order, usedAt: 1, ...extra });
const keys = (...ns) => ns.map((n) => ['m', n]);

test('a kept copy comes back in the order its board row names, whatever the rows\' order', () => {
  const [a, b, z] = [stroke('a'), stroke('b'), stroke('z')];
  const kept = keptBoard(row(['z', 'a', 'b']), keys(0, 4), [[b, a], [z]]);
  assert.deepEqual(kept.elements.map((e) => e.id), ['z', 'a', 'b']);
  assert.equal(kept.elements[1], a);
  assert.deepEqual([kept.seq, kept.origin], [7, 'a1b2']);
  assert.deepEqual(kept.rows, [[0, [b, a]], [4, [z]]]);
  assert.deepEqual(keptBoard(row([]), [], []), { seq: 7, origin: 'a1b2', elements: [], rows: [] });
});

test('anything inconsistent is no copy', () => {
  const [a, b] = [stroke('a'), stroke('b')];
  const ok = [keys(0), [[a, b]]];
  assert.notEqual(keptBoard(row(['a', 'b']), ...ok), null);
  assert.equal(keptBoard(undefined, ...ok), null);
  assert.equal(keptBoard(row(['a', 'b']), keys(0), undefined), null);
  assert.equal(keptBoard(row(['a', 'b']), keys(0, 1), [[a, b]]), null, 'keys and rows differ');
  assert.equal(keptBoard(row(['a', 'b', 'c']), ...ok), null, 'an element missing');
  assert.equal(keptBoard(row(['a']), ...ok), null, 'an element the order does not name');
  assert.equal(keptBoard(row(['a', 'a']), ...ok), null, 'an id named twice');
  assert.equal(keptBoard(row(['a', 'b']), keys(0, 1), [[a], [a, b]]), null, 'one twice');
  assert.equal(keptBoard(row(['a', 'b']), keys(0), [[a, null]]), null, 'a bad element');
  assert.equal(keptBoard(row(['a', 'b']), keys(0), [[a, { id: 3 }]]), null, 'an id not a string');
  assert.equal(keptBoard(row(['a', 'b']), keys(0), [a]), null, 'a row not an array');
  assert.equal(keptBoard(row(['a', 'b']), [['m', 'x']], [[a, b]]), null, 'a bad row key');
  assert.equal(keptBoard(row('ab'), ...ok), null, 'an order not an array');
  assert.equal(keptBoard(row(['a', 'b'], { seq: 0 }), ...ok), null);
  assert.equal(keptBoard(row(['a', 'b'], { seq: 1.5 }), ...ok), null);
  assert.equal(keptBoard(row(['a', 'b'], { origin: undefined }), ...ok), null, 'no origin');
  assert.equal(keptBoard(row(['a', 'b'], { origin: 'XY!' }), ...ok), null);
  // A schema 1 row (the whole board, no order) is none either.
  assert.equal(keptBoard({ id: 'm', seq: 7, origin: 'a1b2', elements: [a, b] }, [], []), null);
});

// The board copy written by change (static/app/boardcache.js): what a save writes given what
// it last wrote and the scene's confirmed board (compared by identity), and how a kept copy is
// put back in board order, anything inconsistent being no copy. The IndexedDB side runs in
// Chromium (tests/e2e/test_rejoin.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { changesSince, keptBoard } from '../../static/app/boardcache.js';
import { Board } from '../../static/app/scene/board.js';

const stroke = (id, x = 0) => ({ id, elementType: 'path', points: [[x, 0], [x + 5, 5]] });

function boardOf(elements) {
  const board = new Board();
  board.reset(elements);
  return board;
}

test('the first save of a board puts every element, in board order', () => {
  const board = boardOf([stroke('a'), stroke('b'), stroke('c')]);
  const plan = changesSince(new Map(), board);
  assert.deepEqual(plan.puts.map((e) => e.id), ['a', 'b', 'c']);
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(plan.order, ['a', 'b', 'c']);
  assert.equal(plan.kept, 0);
  assert.deepEqual([...plan.next.keys()], ['a', 'b', 'c']);
});

test('after changes, only the new and replaced objects are put and the gone ones deleted', () => {
  const a = stroke('a');
  const b = stroke('b');
  const c = stroke('c');
  const board = boardOf([a, b, c]);
  const written = changesSince(new Map(), board).next;
  // As the scene does: a draw adds, an update replaces b's object, an erase removes c, and an
  // order to the front moves a without replacing it.
  board.set('d', stroke('d', 9));
  const b2 = { ...b, points: [[1, 1], [6, 6]] };
  board.set('b', b2);
  board.delete('c');
  board.front(['a']);
  const plan = changesSince(written, board);
  assert.deepEqual(plan.puts, [b2, board.get('d')]);
  assert.deepEqual(plan.deletes, ['c']);
  assert.deepEqual(plan.order, ['b', 'd', 'a']);
  assert.equal(plan.kept, 1);
  assert.equal(plan.next.get('b'), b2);
  // Nothing changed since: nothing to put or delete, the order as it is.
  const again = changesSince(plan.next, board);
  assert.deepEqual([again.puts, again.deletes, again.kept], [[], [], 3]);
});

test('an equal but new object is put: identity, not content, says what changed', () => {
  const a = stroke('a');
  const written = new Map([['a', a]]);
  const plan = changesSince(written, boardOf([{ ...a }]));
  assert.equal(plan.puts.length, 1);
  assert.equal(plan.kept, 0);
});

test('a sync (every object new) keeps nothing, and a cleared board deletes everything', () => {
  const els = [stroke('a'), stroke('b')];
  const written = changesSince(new Map(), boardOf(els)).next;
  const synced = changesSince(written, boardOf(els.map((e) => ({ ...e }))));
  assert.equal(synced.kept, 0);
  assert.equal(synced.puts.length, 2);
  const cleared = changesSince(written, boardOf([]));
  assert.deepEqual([cleared.puts, cleared.deletes, cleared.order], [[], ['a', 'b'], []]);
});

const row = (order, extra = {}) => ({ id: 'm', seq: 7, origin: 'a1b2', order, usedAt: 1, ...extra });

test('a kept copy comes back in the order its board row names, whatever the rows\' order', () => {
  const rows = [stroke('a'), stroke('b'), stroke('z')]; // IndexedDB gives them by key
  const kept = keptBoard(row(['z', 'a', 'b']), rows);
  assert.deepEqual(kept.elements.map((e) => e.id), ['z', 'a', 'b']);
  assert.equal(kept.elements[1], rows[0]);
  assert.deepEqual([kept.seq, kept.origin], [7, 'a1b2']);
  assert.deepEqual(keptBoard(row([]), []), { seq: 7, origin: 'a1b2', elements: [] });
});

test('anything inconsistent is no copy', () => {
  const rows = [stroke('a'), stroke('b')];
  assert.equal(keptBoard(undefined, rows), null);
  assert.equal(keptBoard(row(['a', 'b']), undefined), null);
  assert.equal(keptBoard(row(['a', 'b', 'c']), rows), null, 'an element missing');
  assert.equal(keptBoard(row(['a']), rows), null, 'a row the order does not name');
  assert.equal(keptBoard(row(['a', 'a']), rows), null, 'an id named twice');
  assert.equal(keptBoard(row(['a', 'b']), [rows[0], rows[0]]), null, 'a row twice');
  assert.equal(keptBoard(row(['a', 'b']), [rows[0], null]), null, 'a bad row');
  assert.equal(keptBoard(row(['a', 'b']), [rows[0], { id: 3 }]), null, 'an id not a string');
  assert.equal(keptBoard(row(['a', 'b']), [rows[0], 'b']), null);
  assert.equal(keptBoard(row('ab'), rows), null, 'an order not an array');
  assert.equal(keptBoard(row(['a', 'b'], { seq: 0 }), rows), null);
  assert.equal(keptBoard(row(['a', 'b'], { seq: 1.5 }), rows), null);
  assert.equal(keptBoard(row(['a', 'b'], { origin: undefined }), rows), null, 'no origin');
  assert.equal(keptBoard(row(['a', 'b'], { origin: 'XY!' }), rows), null);
  // A schema 1 row (the whole board, no order) is none either.
  assert.equal(keptBoard({ id: 'm', seq: 7, origin: 'a1b2', elements: rows }, []), null);
});

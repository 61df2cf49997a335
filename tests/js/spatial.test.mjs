// The spatial index returns exactly the ids whose boxes meet a query box, however big or small
// the boxes, through inserts, moves and removals (checked against a plain scan).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SpatialIndex } from '../../static/app/spatial.js';

/** A small deterministic random source, so a failure can be replayed. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomBox(rand) {
  const x = (rand() - 0.5) * 2e6;
  const y = (rand() - 0.5) * 2e6;
  const r = rand();
  // Mostly small boxes, some medium, a few enormous (a two-million-unit line).
  const size = r < 0.7 ? rand() * 50 : r < 0.95 ? rand() * 20000 : rand() * 2e6;
  const w = size * rand();
  return { x0: x, y0: y, x1: x + w, y1: y + (size - w) };
}

function scan(boxes, q) {
  const out = [];
  for (const [id, b] of boxes) {
    if (b.x0 <= q.x1 && b.x1 >= q.x0 && b.y0 <= q.y1 && b.y1 >= q.y0) out.push(id);
  }
  return out.sort();
}

test('queries match a plain scan through inserts, updates and removals', () => {
  const rand = prng(7);
  const index = new SpatialIndex();
  const boxes = new Map();
  for (let i = 0; i < 3000; i += 1) {
    const b = randomBox(rand);
    index.insert(`e${i}`, b);
    boxes.set(`e${i}`, b);
  }
  for (let round = 0; round < 300; round += 1) {
    const id = `e${Math.floor(rand() * 3000)}`;
    const op = rand();
    if (op < 0.4 && boxes.has(id)) {
      const b = boxes.get(id);
      const d = rand() < 0.5 ? 3 : 50000; // a nudge within a cell, or a long move
      const moved = { x0: b.x0 + d, y0: b.y0, x1: b.x1 + d, y1: b.y1 };
      index.update(id, moved);
      boxes.set(id, moved);
    } else if (op < 0.6) {
      assert.equal(index.remove(id), boxes.delete(id));
    } else {
      const b = randomBox(rand);
      index.insert(id, b);
      boxes.set(id, b);
    }
    const q = randomBox(rand);
    assert.deepEqual(index.query(q).sort(), scan(boxes, q), `round ${round}`);
  }
  assert.equal(index.size, boxes.size);
  const everything = { x0: -2e6, y0: -2e6, x1: 2e6, y1: 2e6 };
  assert.equal(index.query(everything).length, boxes.size, 'each id once, however many cells');
});

test('queryPoint finds boxes within the tolerance, edges included', () => {
  const index = new SpatialIndex();
  index.insert('a', { x0: 0, y0: 0, x1: 10, y1: 10 });
  index.insert('b', { x0: 100, y0: 100, x1: 110, y1: 110 });
  assert.deepEqual(index.queryPoint(5, 5), ['a']);
  assert.deepEqual(index.queryPoint(13, 5, 3), ['a']);
  assert.deepEqual(index.queryPoint(14, 5, 3), []);
  assert.deepEqual(index.queryPoint(-64, -64, 0), [], 'a cell of its own, still checked by box');
});

test('a huge element sits in a few cells, and a small move touches no cell', () => {
  const index = new SpatialIndex();
  index.insert('long', { x0: -1e6, y0: 1000, x1: 1e6, y1: 1004 });
  const cells = index.levels.reduce((n, l) => n + l.cells.size, 0);
  assert.ok(cells <= 4, `${cells} cells`);
  assert.deepEqual(index.queryPoint(123456, 1002, 1), ['long']);
  index.insert('dot', { x0: 1, y0: 1, x1: 3, y1: 3 });
  const before = index.entries.get('dot');
  index.update('dot', { x0: 2, y0: 1, x1: 4, y1: 3 });
  assert.equal(index.entries.get('dot'), before);
  assert.deepEqual(index.boxOf('dot'), { x0: 2, y0: 1, x1: 4, y1: 3 });
  assert.deepEqual(index.queryPoint(4, 2).sort(), ['dot']);
});

test('reversed and non-finite boxes are still found; clear empties it', () => {
  const index = new SpatialIndex();
  index.insert('rev', { x0: 10, y0: 10, x1: 0, y1: 0 });
  index.insert('nan', { x0: NaN, y0: 0, x1: 5, y1: 5 });
  assert.deepEqual(index.queryPoint(5, 5), ['rev']);
  index.update('nan', { x0: 20, y0: 20, x1: 30, y1: 30 });
  assert.deepEqual(index.queryPoint(25, 25), ['nan'], 'moved out of the loose list');
  assert.equal(index.loose.size, 0);
  index.clear();
  assert.equal(index.size, 0);
  assert.deepEqual(index.queryPoint(5, 5), []);
  index.insert('rev', { x0: 0, y0: 0, x1: 1, y1: 1 });
  assert.equal(index.size, 1);
});

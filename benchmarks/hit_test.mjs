// Hit test, box select and eraser queries on a 100,000-element board: the page's spatial index
// (static/app/spatial.js) against a linear scan of the board (the baseline) in the same run.
// The target (issue 12): at most 4 ms per pointer move.
//
//   node benchmarks/hit_test.mjs [--elements 100000] [--queries 2000] [--rounds 3] [--seed 1]
//                                [--json]
//
// Each case runs --rounds times over the same queries; the figures printed are those of the
// median round (by p99), so one round slowed by another process on the machine does not
// decide the result. Every round is in --json. Beside wall time it prints CPU time per query,
// which is what the page's own work costs when the core is not shared.
//
// Every query does the whole job a pointer move needs: candidates, the exact ink test of
// elements/index.js, and the board-order choice. The baseline is given every advantage a scan
// can have: each element's bounds are computed once up front, so it only pays the box reject
// and the exact test, never a bounds computation. Both sides must return the same answers;
// the script checks that before it prints a figure.

import { performance } from 'node:perf_hooks';

import { bounds, hitTest, transformElement } from '../static/app/elements/index.js';
import { SpatialIndex } from '../static/app/spatial.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('elements', 100000);
const QUERIES = arg('queries', 2000);
const BASELINE_QUERIES = Math.min(QUERIES, 300); // a scan is slow; fewer samples suffice
const SEED = arg('seed', 1);
const ROUNDS = arg('rounds', 3);
const JSON_OUT = process.argv.includes('--json');
// A board this big holding N elements: 100,000 elements on 40,000 x 40,000 units is about one
// element per 125 x 125 units, a full classroom board zoomed far out.
const SIDE = Math.sqrt(N) * 125;
const TOL = 4; // a few pixels at 100 % zoom
const ERASER = 10;

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const rand = prng(SEED);
const at = () => rand() * SIDE;

function stroke(type, x, y) {
  const points = [];
  let px = x;
  let py = y;
  const n = 10 + Math.floor(rand() * 60);
  for (let i = 0; i < n; i += 1) {
    px += (rand() - 0.5) * 16;
    py += (rand() - 0.5) * 16;
    points.push(type === 'path' && rand() < 0.3 ? [px, py, rand()] : [px, py]);
  }
  return { elementType: type, points, strokeWidth: type === 'path' ? 3 : 16 };
}

/** A mix like a real board: mostly pen strokes, then shapes, text and notes, a few huge lines. */
function makeBoard() {
  const els = [];
  for (let i = 0; i < N; i += 1) {
    const r = rand();
    const x = at();
    const y = at();
    let el;
    if (i < 10) {
      el = { elementType: 'line', x1: -1e6, y1: y, x2: 1e6, y2: y + 50, strokeWidth: 2 };
    } else if (r < 0.6) el = stroke('path', x, y);
    else if (r < 0.7) el = stroke('highlighter', x, y);
    else if (r < 0.8) {
      el = { elementType: 'rect', x, y, width: 20 + rand() * 300, height: 20 + rand() * 200,
        strokeWidth: 3, ...(rand() < 0.3 ? { fillColor: '#abc' } : {}) };
    } else if (r < 0.85) {
      el = { elementType: 'ellipse', x, y, width: 20 + rand() * 300, height: 20 + rand() * 200,
        strokeWidth: 3 };
    } else if (r < 0.9) {
      el = { elementType: rand() < 0.5 ? 'line' : 'arrow', x1: x, y1: y,
        x2: x + (rand() - 0.5) * 600, y2: y + (rand() - 0.5) * 600, strokeWidth: 3 };
    } else if (r < 0.95) {
      el = { elementType: 'text', x, y, text: 'a line of text\nand another', fontSize: 20,
        strokeWidth: 1 };
    } else {
      el = { elementType: 'sticky', x, y, width: 200, height: 200, text: 'note', fontSize: 20,
        strokeWidth: 1 };
    }
    els.push({ id: `e${i}`, strokeColor: '#123456', ...el });
  }
  return els;
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const pick = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: pick(0.5), p99: pick(0.99), max: s[s.length - 1], n: s.length };
}

/**
 * Runs fn over inputs: wall time per query, and CPU time per query (this process's user +
 * system time; it leaves out the time other processes held the core, which on a shared
 * machine inflates wall-time p99s several times over).
 */
function time(fn, inputs) {
  const out = [];
  const times = [];
  const cpu = [];
  for (const input of inputs) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    out.push(fn(input));
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { out, stats: { ...stats(times), cpu: stats(cpu) } };
}

const board = makeBoard();
const order = new Map(board.map((el, i) => [el.id, i]));
const byId = new Map(board.map((el) => [el.id, el]));

const t0 = performance.now();
const boxes = board.map((el) => bounds(el));
const tBounds = performance.now() - t0;
const index = new SpatialIndex();
const t1 = performance.now();
for (let i = 0; i < board.length; i += 1) index.insert(board[i].id, boxes[i]);
const tBuild = performance.now() - t1;
const boxOf = new Map(board.map((el, i) => [el.id, boxes[i]]));

// Pointers: half on an element's ink (a click that means something), half anywhere.
const pointers = Array.from({ length: QUERIES }, () => {
  if (rand() < 0.5) return { x: at(), y: at() };
  const el = board[10 + Math.floor(rand() * (N - 10))];
  const p = el.points ? el.points[Math.floor(rand() * el.points.length)]
    : el.x1 !== undefined ? [el.x1, el.y1] : [el.x, el.y];
  return { x: p[0], y: p[1] };
});
// Box selects the size of a screen at 100 % (1,400 x 900 units) and zoomed out to 25 %.
function screens(w, h) {
  return Array.from({ length: QUERIES }, () => {
    const x = at() - w / 2;
    const y = at() - h / 2;
    return { x0: x, y0: y, x1: x + w, y1: y + h };
  });
}
const selects = screens(1400, 900);
const wideSelects = screens(5600, 3600);
// Eraser moves: 30 px steps along a swipe, sampled every radius as tools/eraser.js does.
const swipes = pointers.map((p) => ({ from: p, to: { x: p.x + 24, y: p.y + 18 } }));

function topmostIndexed({ x, y }) {
  let best = null;
  let bestOrder = -1;
  for (const id of index.queryPoint(x, y, TOL)) {
    const o = order.get(id);
    if (o > bestOrder && hitTest(byId.get(id), x, y, TOL, boxOf.get(id))) {
      best = id;
      bestOrder = o;
    }
  }
  return best;
}

function topmostScan({ x, y }) {
  for (let i = board.length - 1; i >= 0; i -= 1) {
    if (hitTest(board[i], x, y, TOL, boxes[i])) return board[i].id;
  }
  return null;
}

const contained = (b, q) => b.x0 >= q.x0 && b.x1 <= q.x1 && b.y0 >= q.y0 && b.y1 <= q.y1;

function selectIndexed(q) {
  return index.query(q).filter((id) => contained(boxOf.get(id), q)).length;
}

function selectScan(q) {
  let n = 0;
  for (const b of boxes) if (contained(b, q)) n += 1;
  return n;
}

function samples({ from, to }) {
  const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / ERASER));
  const out = [];
  for (let i = 1; i <= steps; i += 1) {
    out.push([from.x + ((to.x - from.x) * i) / steps, from.y + ((to.y - from.y) * i) / steps]);
  }
  return out;
}

function eraseIndexed(swipe) {
  const hit = new Set();
  for (const [x, y] of samples(swipe)) {
    for (const id of index.queryPoint(x, y, ERASER)) {
      if (!hit.has(id) && hitTest(byId.get(id), x, y, ERASER, boxOf.get(id))) hit.add(id);
    }
  }
  return hit.size;
}

function eraseScan(swipe) {
  const hit = new Set();
  for (const [x, y] of samples(swipe)) {
    for (let i = 0; i < board.length; i += 1) {
      if (!hit.has(board[i].id) && hitTest(board[i], x, y, ERASER, boxes[i])) hit.add(board[i].id);
    }
  }
  return hit.size;
}

// Warm both paths up so the JIT has compiled them before anything is timed.
for (let i = 0; i < 50; i += 1) {
  topmostIndexed(pointers[i]); topmostScan(pointers[i]);
  selectIndexed(selects[i]); selectScan(selects[i]);
  eraseIndexed(swipes[i]); eraseScan(swipes[i]);
}

const rows = [];
const cases = [
  ['hit test (topmost under pointer)', topmostIndexed, topmostScan, pointers],
  ['box select (a screen at 100 %)', selectIndexed, selectScan, selects],
  ['box select (a screen at 25 %)', selectIndexed, selectScan, wideSelects],
  ['eraser (one 30 px move, radius 10)', eraseIndexed, eraseScan, swipes],
];
const medianRound = (list) => [...list].sort((x, y) => x.p99 - y.p99)[Math.floor(list.length / 2)];
for (const [name, indexed, scan, inputs] of cases) {
  const indexRounds = [];
  const scanRounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const a = time(indexed, inputs);
    const b = time(scan, inputs.slice(0, BASELINE_QUERIES));
    for (let i = 0; i < BASELINE_QUERIES; i += 1) {
      if (a.out[i] !== b.out[i]) {
        throw new Error(`${name}: index and scan disagree at query ${i}: ${a.out[i]} / ` +
          `${b.out[i]}`);
      }
    }
    indexRounds.push(a.stats);
    scanRounds.push(b.stats);
  }
  rows.push({ name, index: medianRound(indexRounds), scan: medianRound(scanRounds),
    rounds: { index: indexRounds, scan: scanRounds } });
}

// A drag of 500 selected elements: each step the page works out where they are (transform and
// bounds, which the renderer needs anyway) and the index takes their new boxes.
const picked = board.slice(10, 510);
const moveTimes = [];
const moveCpu = [];
const reindexTimes = [];
const reindexCpu = [];
for (let step = 1; step <= 120; step += 1) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const moved = picked.map((el) => bounds(transformElement(el, { dx: step * 3, dy: step * 2 })));
  const t2 = performance.now();
  const c1 = process.cpuUsage();
  for (let i = 0; i < picked.length; i += 1) index.update(picked[i].id, moved[i]);
  reindexTimes.push(performance.now() - t2);
  const c2 = process.cpuUsage(c1);
  reindexCpu.push((c2.user + c2.system) / 1000);
  moveTimes.push(t2 - t);
  moveCpu.push((c1.user - c0.user + c1.system - c0.system) / 1000);
}
const drag = { move: { ...stats(moveTimes), cpu: stats(moveCpu) },
  reindex: { ...stats(reindexTimes), cpu: stats(reindexCpu) } };

const result = { elements: N, rounds: ROUNDS, side: SIDE, boundsMs: tBounds, buildMs: tBuild,
  rows, drag };
if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const f = (v) => v.toFixed(3).padStart(8);
  console.log(`${N} elements on ${SIDE.toFixed(0)} x ${SIDE.toFixed(0)} units; node ` +
    `${process.version}; bounds of all ${tBounds.toFixed(0)} ms, index built in ` +
    `${tBuild.toFixed(0)} ms`);
  console.log(`${''.padEnd(38)} ${'index, wall'.padStart(17)}  ${'index, CPU'.padStart(17)}  ` +
    `${'scan, wall'.padStart(17)}  ${'scan, CPU'.padStart(17)}`);
  console.log(`${'query (ms: median  p99)'.padEnd(38)} ${'median     p99'.padStart(17)}  ` +
    `${'median     p99'.padStart(17)}  ${'median     p99'.padStart(17)}  ` +
    `${'median     p99'.padStart(17)}`);
  const pair = (st) => `${f(st.median)} ${f(st.p99)}`;
  for (const r of rows) {
    console.log(`${r.name.padEnd(38)} ${pair(r.index)}  ${pair(r.index.cpu)}  ${pair(r.scan)}  ` +
      `${pair(r.scan.cpu)}`);
  }
  console.log(`(${QUERIES} queries on the index, ${BASELINE_QUERIES} on the scan, median of ` +
    `${ROUNDS} rounds)`);
  console.log(`${'drag of 500: transform + bounds'.padEnd(38)} ${pair(drag.move)}  ` +
    `${pair(drag.move.cpu)}   (120 steps)`);
  console.log(`${'drag of 500: re-index their boxes'.padEnd(38)} ${pair(drag.reindex)}  ` +
    `${pair(drag.reindex.cpu)}`);
  const worst = Math.max(...rows.map((r) => r.index.p99));
  const worstCpu = Math.max(...rows.map((r) => r.index.cpu.p99));
  console.log(`target <= 4 ms per pointer move: worst index p99 ${worst.toFixed(3)} ms wall ` +
    `(${worst <= 4 ? 'met' : 'NOT met'}), ${worstCpu.toFixed(3)} ms CPU ` +
    `(${worstCpu <= 4 ? 'met' : 'NOT met'})`);
}

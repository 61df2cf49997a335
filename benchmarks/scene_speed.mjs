// The page's scene (static/app/scene.js) at the sizes of issue 12, each figure beside a
// baseline measured in the same run:
//   1. hit test, box select and eraser through the scene on a 100,000-element board (target:
//      at most 4 ms per pointer move), against a scan of every displayed element;
//   2. a peer's script per frame while someone drags 500 elements at 30 transforms a second
//      (target: at most 16 ms), against applying each step as 500 full draws;
//   3. one append to a live stroke of 100 ... 19,000 points (target: O(1)), against copying
//      the points array per append (the scene before issue 12).
//
//   node benchmarks/scene_speed.mjs [--elements 100000] [--seed 1] [--json]

import { performance } from 'node:perf_hooks';

import { hitTest } from '../static/app/elements/index.js';
import { Scene } from '../static/app/scene.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('elements', 100000);
const SEED = arg('seed', 1);
const JSON_OUT = process.argv.includes('--json');
const SIDE = Math.sqrt(N) * 125;

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const rand = prng(SEED);

function element(i) {
  const x = rand() * SIDE;
  const y = rand() * SIDE;
  const base = { id: `e${i}`, strokeColor: '#1e1e1e', strokeWidth: 3, userId: 'ann' };
  if (rand() < 0.7) {
    const points = [];
    let px = x;
    let py = y;
    for (let k = 0, n = 10 + Math.floor(rand() * 40); k < n; k += 1) {
      px += (rand() - 0.5) * 16;
      py += (rand() - 0.5) * 16;
      points.push([px, py]);
    }
    return { ...base, elementType: 'path', points };
  }
  return { ...base, elementType: 'rect', x, y, width: 20 + rand() * 80, height: 20 + rand() * 80 };
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p99: at(0.99),
    max: s[s.length - 1] };
}

function timeEach(n, fn) {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    fn(i);
    out.push(performance.now() - t0);
  }
  return stats(out);
}

const fmt = (st) => `mean ${st.mean.toFixed(3)} ms, p99 ${st.p99.toFixed(3)} ms`;
const results = {};

// ---- 1. spatial queries ---------------------------------------------------------------------
const elements = Array.from({ length: N }, (_, i) => element(i));
const scene = new Scene();
let t0 = performance.now();
scene.applySync({ elements, seq: N, userId: 'me', color: '#e6194b', users: [] });
results.syncMs = performance.now() - t0;
t0 = performance.now();
scene.warmUp(); // the index, built after the first paint (or by the first query)
results.indexMs = performance.now() - t0;

const pts = Array.from({ length: 2000 }, () => [rand() * SIDE, rand() * SIDE]);
function scanTopmost(x, y, tol) {
  let best = null;
  for (const el of scene.elements()) if (hitTest(el, x, y, tol)) best = el;
  return best;
}
// Same answers first: the figure means nothing otherwise.
for (const [x, y] of pts.slice(0, 100)) {
  const a = scene.hitTopmost(x, y, 4);
  const b = scanTopmost(x, y, 4);
  if ((a && a.id) !== (b && b.id)) throw new Error(`hitTopmost disagrees at ${x},${y}`);
}
results.hit = timeEach(pts.length, (i) => scene.hitTopmost(pts[i][0], pts[i][1], 4));
results.hitScan = timeEach(30, (i) => scanTopmost(pts[i][0], pts[i][1], 4));
results.eraser = timeEach(pts.length, (i) => scene.idsNear(pts[i][0], pts[i][1], 10));
// A box select dragged across a screenful at 100 % zoom (1,600 x 900 units).
results.box = timeEach(pts.length, (i) => scene.idsInBox(pts[i][0], pts[i][1],
  pts[i][0] + 1600, pts[i][1] + 900));

// ---- 2. a peer while someone drags 500 elements --------------------------------------------
const dragged = elements.slice(0, 500).map((e) => e.id);
scene.applyEphemeral({ type: 'select', userId: 'bob', data: { ids: dragged, color: '#3cb44b' } });
// 60 frames a second, a transform every other frame (30 a second): a frame's script is the
// messages that arrived plus what the renderer asks of the scene (previewed, hidden checks).
results.dragFrame = timeEach(600, (f) => {
  if (f % 2 === 0) {
    scene.applyEphemeral({ type: 'transform', userId: 'bob', data: { dx: f, dy: f / 2 } });
  }
  scene.takeChanges();
  let n = 0;
  for (const el of scene.previewed()) n += el.id.length;
  for (const id of dragged) if (scene.hiddenByPreview(id)) n += 1;
  return n;
});
const drawsScene = new Scene();
drawsScene.applySync({ elements: elements.slice(0, 5000), seq: 1, userId: 'me', color: '#000',
  users: [] });
let seq = 1;
results.dragFrameAsDraws = timeEach(120, (f) => {
  if (f % 2 !== 0) return;
  for (const id of dragged) {
    const el = drawsScene.get(id);
    const moved = el.points ? { ...el, points: el.points.map((p) => [p[0] + 1, p[1] + 1]) }
      : { ...el, x: el.x + 1 };
    seq += 1;
    drawsScene.applyChange({ type: 'draw', userId: 'bob', seq, data: moved });
  }
  drawsScene.takeChanges();
});
scene.applyEphemeral({ type: 'transform', userId: 'bob', data: {} });

// ---- 3. appends to a live stroke -----------------------------------------------------------
results.append = {};
for (const len of [100, 1000, 10000, 19000]) {
  const s = new Scene();
  s.applySync({ elements: [], seq: 0, userId: 'me', color: '#000', users: [] });
  const points = Array.from({ length: len }, (_, i) => [i, i]);
  s.applyChange({ type: 'draw', userId: 'bob', seq: 1,
    data: { id: 'p', elementType: 'path', points, strokeColor: '#000', strokeWidth: 2 } });
  s.applyChange({ type: 'append', userId: 'bob', seq: 2, data: { id: 'p', points: [[0, 0]] } });
  let q = 2;
  const ours = timeEach(500, () => {
    q += 1;
    s.applyChange({ type: 'append', userId: 'bob', seq: q, data: { id: 'p', points: [[1, 1]] } });
  });
  let el = { id: 'p', points };
  const copy = timeEach(500, () => {
    el = { ...el, points: el.points.concat([[1, 1]]) };
  });
  results.append[len] = { scene: ours.mean * 1000, copyEach: copy.mean * 1000 };
}

if (JSON_OUT) {
  console.log(JSON.stringify(results));
} else {
  console.log(`scene on ${N.toLocaleString('en')} elements: sync ` +
    `${results.syncMs.toFixed(0)} ms, ` +
    `spatial index built after the first paint ${results.indexMs.toFixed(0)} ms`);
  console.log(`  hitTopmost   ${fmt(results.hit)}   | scan of the board ${fmt(results.hitScan)}`);
  console.log(`  idsNear      ${fmt(results.eraser)}   (eraser, r = 10)`);
  console.log(`  idsInBox     ${fmt(results.box)}   (1,600 x 900 box)`);
  console.log(`peer frame while 500 elements are dragged at 30/s: ${fmt(results.dragFrame)}` +
    ` | as 500 draws per step: ${fmt(results.dragFrameAsDraws)}`);
  for (const [len, r] of Object.entries(results.append)) {
    console.log(`append to a ${len}-point stroke: ${r.scene.toFixed(2)} us | copy per append ` +
      `${r.copyEach.toFixed(2)} us`);
  }
}

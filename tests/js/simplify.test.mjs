// Compact strokes: quantization, the online simplifier held within its tolerance of the full
// curve (random wiggles and strokes recorded from the page's pen), the curve it is measured
// on, and the pen tool's ops (what goes out, and that nothing is held past a frame).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import {
  curveDeviation, curvePoints, decimalsFor, OnlineSimplifier, quantize, quantizePressure,
  simplify, TOLERANCE_PX,
} from '../../static/app/simplify.js';
import { strokeTool } from '../../static/app/tools/stroke.js';

const RECORDED = new URL('../../benchmarks/strokes/today.json', import.meta.url);

function random(seed) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** A wandering stroke: steps of 1.5-9.5 units, turning by up to +/-turn/2 each step. */
function wiggle(rnd, n, dec = 1) {
  let x = 100;
  let y = 100;
  let a = rnd() * 6;
  const turn = rnd() * 0.8;
  const pts = [];
  for (let i = 0; i < n; i += 1) {
    a += (rnd() - 0.5) * turn;
    const step = 1.5 + rnd() * 8;
    x += step * Math.cos(a);
    y += step * Math.sin(a);
    pts.push([quantize(x, dec), quantize(y, dec)]);
  }
  return pts;
}

test('coordinates are quantized to a tenth of a screen pixel at the drawing zoom', () => {
  assert.equal(decimalsFor(1), 1);
  assert.equal(decimalsFor(2), 2);
  assert.equal(decimalsFor(10), 2);
  assert.equal(decimalsFor(12), 3);
  assert.equal(decimalsFor(0.5), 1);
  assert.equal(decimalsFor(0.1), 0);
  assert.equal(decimalsFor(0.05), 0);
  assert.equal(decimalsFor(400), 3);
  assert.equal(decimalsFor(NaN), 1);
  assert.equal(quantize(789.77, 1), 789.8);
  assert.equal(quantize(-0.04, 1), 0);
  assert.ok(!Object.is(quantize(-0.04, 1), -0));
  assert.equal(JSON.stringify([quantize(1 / 3, 1), quantize(2 / 3, 2)]), '[0.3,0.67]');
  assert.equal(quantizePressure(0.12345), 0.12);
  assert.equal(quantizePressure(1.7), 1);
  assert.equal(quantizePressure(-1), 0);
});

test('the curve is quadratic pieces through the midpoints, straight at both ends', () => {
  const pts = [[0, 0], [10, 0], [10, 10], [20, 10]];
  const c = curvePoints(pts, 0.5);
  assert.deepEqual(c[0], [0, 0]);
  assert.deepEqual(c[c.length - 1], [20, 10]);
  // It passes through the midpoints of the inner chords, not through the inner points.
  const near = (p) => Math.min(...c.map((q) => Math.hypot(q[0] - p[0], q[1] - p[1])));
  assert.ok(near([10, 5]) < 1e-9);
  assert.ok(near([10, 0]) > 2);
  // The piece from (0,0) with control (10,0) to (10,5), at t = 0.5.
  assert.ok(near([7.5, 1.25]) < 0.05);
  assert.deepEqual(curvePoints([[1, 2], [3, 4]]), [[1, 2], [3, 4]]);
});

test('simplified random strokes stay within the tolerance of the full curve', () => {
  const rnd = random(7);
  let kept = 0;
  let total = 0;
  for (let k = 0; k < 20; k += 1) {
    const pts = wiggle(rnd, 100);
    const out = simplify(pts, TOLERANCE_PX);
    assert.deepEqual(out[0], pts[0]);
    assert.deepEqual(out[out.length - 1], pts[pts.length - 1]);
    // Every point kept is one of the samples, in order.
    let j = 0;
    for (const p of out) {
      while (j < pts.length && pts[j] !== p) j += 1;
      assert.ok(j < pts.length, 'a kept point is a sample');
    }
    const dev = curveDeviation(pts, out, 0.5);
    assert.ok(dev <= TOLERANCE_PX, `stroke ${k}: ${dev.toFixed(3)} px`);
    kept += out.length;
    total += pts.length;
  }
  assert.ok(kept < total * 0.75, `kept ${kept} of ${total}`);
});

test('a straight or gently curved stroke keeps few points; a corner is kept', () => {
  const line = Array.from({ length: 60 }, (_, i) => [i * 3, i * 1.5]);
  assert.ok(simplify(line, TOLERANCE_PX).length <= 5);
  const corner = [...Array.from({ length: 20 }, (_, i) => [i * 3, 0]),
    ...Array.from({ length: 20 }, (_, i) => [57, (i + 1) * 3])];
  const out = simplify(corner, TOLERANCE_PX);
  assert.ok(out.some((p) => p[0] === 57 && p[1] === 0), 'the corner point stays');
  assert.ok(curveDeviation(corner, out, 0.5) <= TOLERANCE_PX);
});

test('strokes recorded from the page pen simplify within tolerance, zoomed in or out', () => {
  const { strokes } = JSON.parse(fs.readFileSync(RECORDED, 'utf8'));
  assert.ok(strokes.length >= 12);
  for (const scale of [1, 4]) {
    for (const s of strokes) {
      // The pointer's samples at this zoom: world units shrink as the zoom grows.
      const dec = decimalsFor(scale);
      const pts = s.input.map(([x, y]) => [quantize(x / scale, dec), quantize(y / scale, dec)]);
      const out = simplify(pts, TOLERANCE_PX / scale);
      const dev = curveDeviation(pts, out, 1 / scale) * scale;
      assert.ok(dev <= TOLERANCE_PX, `${s.shape} ${s.speed} at ${scale}: ${dev.toFixed(3)} px`);
    }
  }
});

test('the online simplifier sends each sample at most once, in order, as the whole-stroke one', () => {
  const rnd = random(3);
  const pts = wiggle(rnd, 80);
  const s = new OnlineSimplifier(pts[0], TOLERANCE_PX);
  const sent = [pts[0]];
  for (const p of pts.slice(1)) {
    const out = s.push(p);
    // Usually none or the held one; at a sharp turn, every sample held since the anchor.
    assert.ok(out.length <= 24);
    sent.push(...out);
    assert.ok(s.holding);
  }
  sent.push(...s.flush());
  assert.equal(s.holding, false);
  assert.deepEqual(s.flush(), []);
  assert.equal(new Set(sent).size, sent.length);
  let j = 0;
  for (const p of sent) {
    while (j < pts.length && pts[j] !== p) j += 1;
    assert.ok(j < pts.length, 'in the order drawn');
  }
  assert.deepEqual(sent, simplify(pts, TOLERANCE_PX));
});

function penCtx(clock) {
  let n = 0;
  return { style: { color: '#1e1e1e', width: 2 }, scale: 1, newId: () => `s${(n += 1)}`,
    now: () => clock.t };
}

function drawWith(tool, ctx, clock, pts, dt) {
  const ops = [...tool.down(ctx, { x: pts[0][0], y: pts[0][1], pressure: 0.5,
    pointerType: 'mouse' })];
  for (const [x, y] of pts.slice(1, -1)) {
    clock.t += dt;
    ops.push(...tool.move(ctx, { x, y, pressure: 0.5, pointerType: 'mouse' }));
  }
  clock.t += dt;
  const last = pts[pts.length - 1];
  ops.push(...tool.up(ctx, { x: last[0], y: last[1], pressure: 0.5, pointerType: 'mouse' }));
  return ops;
}

test('the pen sends a draw, appends of the kept points and an end: no message at the end', () => {
  const tool = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const clock = { t: 0 };
  const ctx = penCtx(clock);
  // A quick circle from a pen on a secure page: 4 samples a frame (4 ms apart).
  const pts = Array.from({ length: 100 }, (_, i) => [300 + 150 * Math.cos(i / 15),
    300 + 150 * Math.sin(i / 15)]);
  const ops = drawWith(tool, ctx, clock, pts, 4);
  assert.equal(ops[0].op, 'begin');
  assert.equal(ops[ops.length - 1].op, 'end');
  assert.ok(ops.slice(1, -1).every((o) => o.op === 'append' && o.points.length >= 1));
  const sent = [...ops[0].element.points, ...ops.slice(1, -1).flatMap((o) => o.points)];
  assert.ok(sent.length < pts.length, `${sent.length} points sent`);
  assert.deepEqual(sent[sent.length - 1], [quantize(pts[99][0], 1), quantize(pts[99][1], 1)]);
  for (const p of sent) for (const v of p) assert.equal(v, quantize(v, 1));
  const full = pts.map(([x, y]) => [quantize(x, 1), quantize(y, 1)]);
  assert.ok(curveDeviation(full, sent, 0.5) <= TOLERANCE_PX);
  assert.equal(tool.active, false);
});

test('a sample is held back at most a frame: at one sample a frame every one goes out', () => {
  const tool = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const clock = { t: 0 };
  const ctx = penCtx(clock);
  // A straight line at one sample per 20 ms frame: collinear, yet none may wait two frames.
  const pts = Array.from({ length: 30 }, (_, i) => [100 + i * 8, 100]);
  const ops = [...tool.down(ctx, { x: 100, y: 100, pressure: 0.5, pointerType: 'mouse' })];
  const lag = [];
  for (let i = 1; i < pts.length; i += 1) {
    clock.t += 20;
    const out = tool.move(ctx, { x: pts[i][0], y: pts[i][1], pressure: 0.5,
      pointerType: 'mouse' });
    ops.push(...out);
    const lastSent = out.length ? out[out.length - 1].points.at(-1)[0] : null;
    if (lastSent !== null) lag.push(pts[i][0] - lastSent);
  }
  assert.ok(lag.length >= pts.length - 3, `${lag.length} appends`);
  assert.ok(lag.every((d) => d <= 8), 'the newest point sent is at most one sample behind');
  // Fast samples within one frame are simplified: 5 samples 3 ms apart, collinear.
  const tool2 = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const ops2 = drawWith(tool2, penCtx({ t: 0 }), { t: 0 }, pts.slice(0, 6), 3);
  const sent2 = ops2.filter((o) => o.op === 'append').flatMap((o) => o.points);
  assert.deepEqual(sent2, [[140, 100]]);
});

test('a pen keeps its pressure to two decimals, and a pressure change keeps the point', () => {
  const tool = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const clock = { t: 0 };
  const ctx = penCtx(clock);
  const ops = [...tool.down(ctx, { x: 0, y: 0, pressure: 0.333, pointerType: 'pen' })];
  for (let i = 1; i <= 10; i += 1) {
    clock.t += 2;
    ops.push(...tool.move(ctx, { x: i * 5, y: 0, pressure: 0.3 + i * 0.04, pointerType: 'pen' }));
  }
  ops.push(...tool.up(ctx, { x: 50, y: 0, pressure: 0, pointerType: 'pen' }));
  assert.deepEqual(ops[0].element.points, [[0, 0, 0.33]]);
  const sent = ops.filter((o) => o.op === 'append').flatMap((o) => o.points);
  assert.ok(sent.length >= 4, 'pressure changes keep points on a straight line');
  assert.ok(sent.every((p) => p.length === 3 && p[2] > 0 && p[2] === quantizePressure(p[2])));
});

test('a pen far out of range is kept inside the coordinates the server accepts', () => {
  const tool = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const clock = { t: 0 };
  const ops = drawWith(tool, penCtx(clock), clock, [[2e6, -3e6], [2e6 + 50, -3e6], [0, 0]], 30);
  const pts = [...ops[0].element.points, ...ops.filter((o) => o.op === 'append')
    .flatMap((o) => o.points)];
  assert.ok(pts.every((p) => Math.abs(p[0]) <= 1e6 && Math.abs(p[1]) <= 1e6), JSON.stringify(pts));
});

test('after a pause the held sample goes out by itself, once, through ctx.apply', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const tool = strokeTool('pen', 'path', (s) => ({ strokeColor: s.color, strokeWidth: s.width }));
  const clock = { t: 0 };
  const later = [];
  const ctx = { ...penCtx(clock), apply: (ops) => later.push(...ops) };
  tool.down(ctx, { x: 0, y: 0, pressure: 0.5, pointerType: 'mouse' });
  clock.t += 4;
  assert.deepEqual(tool.move(ctx, { x: 10, y: 0, pressure: 0.5, pointerType: 'mouse' }), []);
  t.mock.timers.tick(10);
  assert.deepEqual(later, []); // still within the frame
  t.mock.timers.tick(20);
  assert.deepEqual(later, [{ op: 'append', id: 's1', points: [[10, 0]] }]);
  t.mock.timers.tick(100);
  assert.equal(later.length, 1);
  // The pointer comes up where it paused: nothing more to send but the end.
  assert.deepEqual(tool.up(ctx, { x: 10, y: 0, pressure: 0.5, pointerType: 'mouse' }),
    [{ op: 'end', id: 's1' }]);
});

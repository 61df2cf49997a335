// The element registry: one definition per element type, asked for validation, bounds, ink hit
// tests, painting, transforms and `set`. (Parity with the server's schema and arithmetic is
// tests/test_schema_parity.py.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applySet, applyUpdate, bounds, checkElement, drawElement, hitTest, newElement,
  schemaJSON, transformElement, TYPES, typeOf, wireElement,
} from '../../static/app/elements/index.js';
import { KINDS, LIMITS } from '../../static/app/elements/fields.js';
import { resizeBox } from '../../static/app/elements/box.js';
import { ellipseDistance } from '../../static/app/elements/ellipse.js';
import { wrapText } from '../../static/app/elements/lettering.js';

const style = { strokeColor: '#e03131', strokeWidth: 4 };
// One valid element of every type, keyed by type.
const SAMPLES = {
  line: { x1: 0, y1: 0, x2: 100, y2: 0 },
  arrow: { x1: 0, y1: 0, x2: 100, y2: 0 },
  rect: { x: 0, y: 0, width: 100, height: 50 },
  ellipse: { x: 0, y: 0, width: 100, height: 50 },
  path: { points: [[0, 0], [100, 0], [100, 100]] },
  highlighter: { points: [[0, 0, 0.5], [100, 0, 0.5]] },
  text: { x: 0, y: 0, text: 'hello\nworld', fontSize: 20 },
  sticky: { x: 0, y: 0, width: 200, height: 200, text: 'note', fontSize: 20 },
  image: { asset: 'ab'.repeat(32), x: 0, y: 0, width: 100, height: 50 },
};
const sample = (type, extra = {}) => ({ id: type, elementType: type, ...style, ...SAMPLES[type],
  ...extra });

/** A 2D context that records what is painted. */
function recorder(measure = (s) => s.length * 10) {
  const calls = [];
  const ctx = { calls, globalAlpha: 1 };
  for (const m of ['beginPath', 'moveTo', 'lineTo', 'quadraticCurveTo', 'rect', 'ellipse', 'arc',
    'fill', 'clip', 'save', 'restore']) {
    ctx[m] = (...args) => calls.push([m, ...args]);
  }
  ctx.stroke = () => calls.push(['stroke', ctx.globalAlpha, ctx.lineWidth]);
  ctx.fillText = (t, x, y) => calls.push(['fillText', t, x, y]);
  ctx.measureText = (s) => ({ width: measure(s) });
  return ctx;
}

test('every type is listed once with the whole definition, and its sample is valid', () => {
  assert.deepEqual([...TYPES.keys()].sort(), Object.keys(SAMPLES).sort());
  for (const [type, def] of TYPES) {
    assert.equal(def.type, type);
    for (const fn of ['defaults', 'bounds', 'hit', 'draw', 'transform']) {
      assert.equal(typeof def[fn], 'function', `${type}.${fn}`);
    }
    assert.equal(typeof def.resizable, 'boolean');
    assert.equal(checkElement(sample(type)), '', type);
    assert.equal(typeOf(sample(type)), def);
    for (const f of Object.values(def.fields)) assert.ok(KINDS[f.kind], `${type} kind ${f.kind}`);
  }
});

test('checkElement refuses what the server refuses', () => {
  const r = sample('rect');
  assert.equal(checkElement({ ...r, fillColor: '#abc' }), '');
  assert.equal(checkElement({ ...r, fillColor: null }), '', 'null fill is no fill');
  assert.notEqual(checkElement({ ...r, fillColor: 'blue' }), '');
  assert.notEqual(checkElement({ ...r, width: undefined }), '');
  assert.notEqual(checkElement({ ...r, x: true }), '', 'a boolean is not a number');
  assert.notEqual(checkElement({ ...r, x: -1e6 - 1 }), '');
  assert.equal(checkElement({ ...r, x: -1e6, width: -2e5 }), '', 'negative sizes are allowed');
  assert.notEqual(checkElement({ ...r, strokeWidth: 201 }), '');
  assert.notEqual(checkElement({ ...r, id: '' }), '');
  assert.notEqual(checkElement({ ...r, id: 'a\ud800' }), '', 'a lone surrogate');
  assert.equal(checkElement({ ...r, id: 'a\ud83d\ude00' }), '', 'a surrogate pair is fine');
  assert.notEqual(checkElement({ ...r, elementType: 'star' }), '');
  assert.notEqual(checkElement(null), '');
  const p = sample('highlighter');
  assert.notEqual(checkElement({ ...p, points: [[0, 0, 1.5]] }), '');
  assert.notEqual(checkElement({ ...p, points: [[0]] }), '');
  assert.notEqual(checkElement({ ...p, points: Array(LIMITS.MAX_PATH_POINTS + 1).fill([0, 0]) }),
    '');
  const s = sample('sticky');
  assert.notEqual(checkElement({ ...s, text: 'x'.repeat(LIMITS.MAX_TEXT_CHARS + 1) }), '');
  assert.notEqual(checkElement({ ...s, fontSize: 401 }), '');
  assert.notEqual(checkElement({ ...s, text: undefined }), '');
});

test('wireElement sends only the type\'s fields that are set', () => {
  const w = wireElement({ ...sample('sticky'), userId: 'ann', selected: true, fillColor: null });
  assert.deepEqual(Object.keys(w).sort(), ['elementType', 'fontSize', 'height', 'id',
    'strokeColor', 'strokeWidth', 'text', 'width', 'x', 'y']);
  assert.deepEqual(Object.keys(wireElement(sample('line'))).sort(),
    ['elementType', 'id', 'strokeColor', 'strokeWidth', 'x1', 'x2', 'y1', 'y2']);
});

test('bounds cover the ink and its stroke', () => {
  assert.deepEqual(bounds(sample('rect', { x: 10, width: -10 })),
    { x0: -3, y0: -3, x1: 13, y1: 53 });
  const arrow = bounds(sample('arrow'));
  const line = bounds(sample('line'));
  assert.ok(arrow.x1 > line.x1 && arrow.y0 < line.y0, 'the head reaches past the end');
  const hl = bounds(sample('highlighter', { strokeWidth: 16 }));
  assert.deepEqual(hl, { x0: -9, y0: -9, x1: 109, y1: 9 }, 'pressure never widens it');
  const pen = bounds(sample('path', { points: [[0, 0, 1], [10, 0, 1]] }));
  assert.ok(pen.y1 >= 4 * 1.7 / 2, 'full pressure is 1.7x as wide');
  const t = bounds(sample('text'));
  assert.deepEqual(t, { x0: 0, y0: 0, x1: 5 * 20 * 0.6, y1: 2 * 20 * 1.25 });
  assert.equal(bounds({ id: 'u', elementType: 'mystery' }), null);
});

test('hit tests follow the ink, not the bounding box', () => {
  const p = sample('path'); // an L: along y=0, then down x=100
  assert.equal(hitTest(p, 50, 3, 2), true);
  assert.equal(hitTest(p, 100, 50, 2), true);
  assert.equal(hitTest(p, 20, 80, 2), false, 'inside the box, far from the stroke');
  const r = sample('rect');
  assert.equal(hitTest(r, 50, 1, 2), true);
  assert.equal(hitTest(r, 50, 25, 2), false);
  assert.equal(hitTest({ ...r, fillColor: '#fff' }, 50, 25, 2), true);
  const e = sample('ellipse');
  assert.equal(hitTest(e, 100, 25, 2), true);
  assert.equal(hitTest(e, 50, 25, 2), false);
  assert.equal(hitTest(e, 2, 2, 2), false, 'a box corner is outside the ellipse');
  const a = sample('arrow');
  assert.equal(hitTest(a, 90, 5, 1), true, 'on the head');
  assert.equal(hitTest(sample('line'), 90, 5, 1), false);
  const h = sample('highlighter', { strokeWidth: 16 });
  assert.equal(hitTest(h, 50, 9, 2), true, 'a wide pen is hit across its width');
  assert.equal(hitTest(h, 50, 12, 2), false);
  assert.equal(hitTest(sample('sticky'), 100, 100, 0), true, 'anywhere on the paper');
  assert.equal(hitTest(sample('text'), 30, 30, 0), true);
  assert.equal(hitTest(sample('text'), 30, 60, 0), false);
  assert.equal(hitTest({ id: 'u', elementType: 'mystery', x: 0, y: 0 }, 0, 0, 5), false);
});

test('distance to an ellipse\'s outline is right at any aspect ratio', () => {
  // Against the nearest of 20,000 points sampled along the outline.
  const sampled = (px, py, a, b) => {
    let best = Infinity;
    for (let i = 0; i < 20000; i += 1) {
      const t = (i / 20000) * 2 * Math.PI;
      best = Math.min(best, Math.hypot(px - a * Math.cos(t), py - b * Math.sin(t)));
    }
    return best;
  };
  const cases = [[50, 50, 10, 0], [500, 10, 510, 0], [500, 10, 0, 5], [500, 10, 300, 9],
    [500, 10, 0, 0], [100, 40, 70, 30], [100, 40, -120, 10], [3, 300, 2, -280], [80, 60, 0, 0]];
  for (const [a, b, x, y] of cases) {
    assert.ok(Math.abs(ellipseDistance(x, y, a, b) - sampled(x, y, a, b)) < 0.5,
      `${a}x${b} at (${x}, ${y}): ${ellipseDistance(x, y, a, b)} vs ${sampled(x, y, a, b)}`);
  }
  // A flat ellipse is not hit at its box's corners, 9 units from its ink (the radial estimate
  // this replaces said yes there).
  const flat = sample('ellipse', { x: 0, y: 0, width: 1000, height: 20 });
  assert.equal(hitTest(flat, 1000, 0, 4), false);
  assert.equal(hitTest(flat, 1004, 10, 4), true);
  assert.equal(hitTest(flat, 500, 10, 4), false, 'the middle of a 20-high ellipse is 10 away');
  assert.equal(hitTest(flat, 500, 10, 9), true);
});

test('transforms scale about the origin, then move; stroke widths never scale', () => {
  const r = sample('rect', { x: 10, y: 20 });
  const t = { dx: 5, dy: -5, sx: 2, sy: -1, ox: 10, oy: 20 };
  const out = transformElement(r, t);
  assert.deepEqual(out, { ...r, x: 15, y: 15, width: 200, height: -50 });
  assert.equal(r.x, 10, 'the input is not changed');
  const text = transformElement(sample('text'), { sx: 3, sy: -2 });
  assert.equal(text.fontSize, 40, 'font scales by |sy|');
  assert.equal(text.strokeWidth, 4);
  const hl = transformElement(sample('highlighter'), { dx: 1, dy: 2 });
  assert.deepEqual(hl.points, [[1, 2, 0.5], [101, 2, 0.5]], 'pressure is kept');
  const pen = transformElement(sample('path'), { sx: 0.5, ox: 100 });
  assert.deepEqual(pen.points, [[50, 0], [100, 0], [100, 100]],
    'points without pressure stay [x, y]');
  const moved = transformElement(sample('line'), { dx: 10 });
  assert.deepEqual([moved.x1, moved.x2, moved.y1], [10, 110, 0]);
  assert.deepEqual(transformElement(sample('sticky'), {}), sample('sticky'), 'identity');
});

test('an update is scale, then move, then set; set skips missing fields and null removes', () => {
  const r = sample('rect', { fillColor: '#abc' });
  const out = applyUpdate(r, { move: [1, 1], scale: [2, 2, 0, 0], set: { strokeColor: '#000',
    fontSize: 30, fillColor: null } });
  assert.deepEqual(out, { ...style, id: 'rect', elementType: 'rect', x: 1, y: 1, width: 200,
    height: 100, strokeColor: '#000' });
  assert.equal('fontSize' in out, false, 'a rect has no fontSize: skipped');
  assert.deepEqual(applySet(sample('line'), { x: 5, strokeWidth: 9 }),
    sample('line', { strokeWidth: 9 }));
  assert.notEqual(checkElement(applySet(sample('line'), { strokeColor: null })), '',
    'removing a required field leaves an element the server refuses');
});

test('newElement merges the type\'s defaults', () => {
  const s = newElement('sticky', { id: 's', x: 1, y: 2 });
  assert.equal(s.fillColor, '#fde68a');
  assert.equal(checkElement(s), '');
  const h = newElement('highlighter', { id: 'h', points: [[0, 0]] });
  assert.equal(h.strokeColor, '#facc15');
  assert.ok(h.strokeWidth >= 12);
  assert.equal(checkElement(h), '');
  assert.throws(() => newElement('star'));
});

test('resizeBox keeps the opposite corner and can keep the aspect ratio', () => {
  const b = { x0: 0, y0: 0, x1: 100, y1: 50 };
  assert.deepEqual(resizeBox(b, 'se', 200, 100), { dx: 0, dy: 0, sx: 2, sy: 2, ox: 0, oy: 0 });
  assert.deepEqual(resizeBox(b, 'nw', 50, 25), { dx: 0, dy: 0, sx: 0.5, sy: 0.5, ox: 100, oy: 50 });
  assert.deepEqual(resizeBox(b, 'e', 150, 999), { dx: 0, dy: 0, sx: 1.5, sy: 1, ox: 0, oy: 25 });
  const flip = resizeBox(b, 'e', -100, 0);
  assert.equal(flip.sx, -1, 'dragging past the far edge flips');
  const kept = resizeBox(b, 'se', 300, 60, { keepAspect: true });
  assert.equal(kept.sx, kept.sy);
  assert.equal(kept.sx, 3);
  const tiny = resizeBox(b, 'se', 0, 0);
  assert.equal(tiny.sx, 0.001, 'never below what the server accepts');
  const edge = resizeBox(b, 's', 0, 100, { keepAspect: true });
  assert.deepEqual([edge.sx, edge.sy, edge.ox], [2, 2, 50]);
});

test('painting: a translucent highlighter, wrapped sticky text, pressure widths', () => {
  const ctx = recorder();
  const stroke = sample('highlighter', { points: [[0, 0], [5, 5], [10, 0]] });
  assert.equal(drawElement(ctx, stroke), true);
  const strokes = ctx.calls.filter((c) => c[0] === 'stroke');
  assert.equal(strokes.length, 1, 'one stroke: no darker overlaps');
  assert.equal(strokes[0][1], 0.35);
  assert.equal(ctx.globalAlpha, 1, 'alpha restored');
  assert.equal(ctx.lineCap, 'round');

  const note = recorder();
  drawElement(note, sample('sticky', { width: 100, text: 'aaa bbb ccc\nd' }));
  const texts = note.calls.filter((c) => c[0] === 'fillText').map((c) => c[1]);
  // 100 wide less 2 x 10 margin = 80: at 10 per glyph, 'aaa bbb' (70) fits and 'ccc' wraps.
  assert.deepEqual(texts, ['aaa bbb', 'ccc', 'd']);
  const order = note.calls.map((c) => c[0]);
  assert.ok(order.indexOf('clip') < order.indexOf('fillText'), 'text is clipped to the note');
  assert.equal(note.calls.filter((c) => c[0] === 'save').length,
    note.calls.filter((c) => c[0] === 'restore').length);

  const pen = recorder();
  drawElement(pen, sample('path', { points: [[0, 0, 0], [5, 0, 1], [10, 0, 0.5]] }));
  const widths = pen.calls.filter((c) => c[0] === 'stroke').map((c) => c[2]);
  assert.equal(new Set(widths).size, widths.length, 'each stretch has its own width');
  assert.equal(drawElement(recorder(), { id: 'u', elementType: 'mystery' }), false);
  for (const type of TYPES.keys()) assert.equal(drawElement(recorder(), sample(type)), true, type);
});

test('wrapText keeps hard newlines and breaks words longer than a line', () => {
  const m = (s) => s.length;
  assert.deepEqual(wrapText('one two three', 7, m), ['one two', 'three']);
  assert.deepEqual(wrapText('a\n\nb', 7, m), ['a', '', 'b']);
  assert.deepEqual(wrapText('abcdefghij x', 4, m), ['abcd', 'efgh', 'ij x']);
  assert.deepEqual(wrapText('', 4, m), ['']);
});

test('schemaJSON lists the limits and every field of every type but id and elementType', () => {
  const s = schemaJSON();
  assert.deepEqual(s.limits, { ...LIMITS });
  assert.deepEqual(Object.keys(s.types).sort(), [...TYPES.keys()].sort());
  for (const [type, fields] of Object.entries(s.types)) {
    // Issue 15: every type may carry a page and a lock; an image has no stroke.
    assert.deepEqual(fields.page, { kind: 'page', required: false });
    assert.deepEqual(fields.locked, { kind: 'flag', required: false });
    if (type === 'image') {
      assert.equal('strokeColor' in fields || 'strokeWidth' in fields, false);
      continue;
    }
    assert.deepEqual(fields.strokeColor, { kind: 'color', required: true });
    assert.deepEqual(fields.strokeWidth, { kind: 'width', required: true });
    assert.equal('id' in fields || 'elementType' in fields, false);
  }
  assert.deepEqual(s.types.rect.fillColor, { kind: 'color', required: false });
  assert.equal(JSON.stringify(s), JSON.stringify(schemaJSON()), 'stable');
});

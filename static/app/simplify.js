// Compact freehand strokes: points quantized to what the drawing zoom can show, and dropped
// while drawing when the stroke would look the same without them. Pure module: no DOM.
//
// The page paints a stroke as quadratic pieces through the midpoints of its points
// (elements/strokes.js, and the server's SVG and PDF the same); `curvePoints` samples that
// curve, and the tests hold the simplified curve within the tolerance of the full one.

/** How far, in screen pixels, the simplified stroke may stray from the drawn one. */
export const TOLERANCE_PX = 0.5;
/**
 * The held-back test compares curves up to the newest sample, but the piece after it is not
 * known yet; run at this share of the tolerance, the finished curves stayed within 0.36 px
 * of the full ones on random wiggles and 0.30 px on strokes recorded from the page's pen.
 */
const CURVE_SHARE = 0.6;
/** At most this many samples are held back before the tentative end goes out anyway. */
const MAX_HELD = 24;
/** Samples per quadratic piece when two stretches of curve are compared. */
const PIECE_SAMPLES = 8;

/**
 * Decimal places for world coordinates drawn at `scale` (screen px per world unit): one
 * step is at most 0.1 screen pixel. Zoom 1: 0.1; zoom 4: 0.001; zoom 0.1: whole units.
 */
export function decimalsFor(scale) {
  const s = Number.isFinite(scale) && scale > 0 ? scale : 1;
  return Math.max(0, Math.min(3, Math.ceil(Math.log10(10 * s) - 1e-9)));
}

/** v rounded to `decimals` places (an exact short decimal in JSON). */
export function quantize(v, decimals) {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Pressure (0-1) to two decimals. */
export function quantizePressure(p) {
  return Math.round(Math.max(0, Math.min(1, p)) * 100) / 100;
}

/** Distance from (px, py) to the segment a-b. */
export function segmentDistance(px, py, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const d2 = dx * dx + dy * dy;
  let t = d2 === 0 ? 0 : ((px - a[0]) * dx + (py - a[1]) * dy) / d2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
}

/**
 * Simplifies a stroke as it is drawn. `push(p)` takes each new sample and returns the
 * points to send now (none, or the one held back); `flush()` returns the one held back.
 * A sample is held only until the next one shows whether it is needed: when the curve
 * through the points since the last one sent, up to the newest, stays within the tolerance
 * of the curve with all of them left out, the held one adds nothing and the newest takes
 * its place. The test is on the painted curve, not on the chords: the curve passes near the
 * midpoints of the points, and a chord test alone let it stray twice as far.
 */
export class OnlineSimplifier {
  /** @param {number[]} first the stroke's first point (already sent); @param {number} tol */
  constructor(first, tol) {
    this.tol = tol * CURVE_SHARE;
    /** Where the curve's piece controlled by the anchor begins (the stroke's start, first). */
    this.start = first;
    this.from = first;
    this.fullFrom = first;
    this.anchor = first;
    this.between = [];
    this.held = null;
  }

  push(p) {
    if (this.held === null) {
      this.held = p;
      this.between = [p];
      return [];
    }
    if (this.between.length < MAX_HELD && this._fits(p)) {
      this.between.push(p);
      this.held = p;
      return [];
    }
    return this._emit(p);
  }

  _emit(next) {
    const a = this.anchor;
    const held = this.held;
    // With the next sample known, the piece the held point controls can be checked: a sharp
    // turn there rounds it over half the chord from the anchor. Then every sample since the
    // anchor goes out (they were only held, never dropped for good).
    const out = next && this.between.length > 1 && !this._close(a, [held], next)
      ? this.between.slice() : [held];
    const before = out.length > 1 ? out[out.length - 2] : a;
    const fullBefore = this.between.length > 1 ? this.between[this.between.length - 2] : a;
    const start = this.start;
    // The piece a point controls begins halfway from the point before it (the stroke's
    // first piece at its first point): on the curve sent, and on the full one.
    this.from = before === start ? start : mid(before, held);
    this.fullFrom = fullBefore === start ? start : mid(fullBefore, held);
    this.anchor = held;
    this.between = next ? [next] : [];
    this.held = next;
    return out;
  }

  /** Whether the curve through anchor, `kept` and p stays within tolerance of the full one. */
  _close(a, kept, p) {
    const tol = this.tol;
    if (a === this.start) {
      const full = sampleCurve([a, ...this.between, p]);
      const short = sampleCurve([a, ...kept, p]);
      return farthest(full, short) <= tol && farthest(short, full) <= tol;
    }
    // The anchor's piece begins at `from` on the curve sent, at `fullFrom` on the full one;
    // what lies before `fullFrom` was held within tolerance by the previous test.
    const full = sampleCurve([this.fullFrom, a, ...this.between, p]);
    if (farthest(full, sampleCurve([this.from, a, ...kept, p])) > tol) return false;
    return farthest(sampleCurve([this.fullFrom, a, ...kept, p]), full) <= tol;
  }

  /** Whether the curve anchor -> p stays within tolerance of the one through every sample. */
  _fits(p) {
    const a = this.anchor;
    for (const q of this.between) {
      if (segmentDistance(q[0], q[1], a, p) > this.tol) return false; // cheap: a chord far off
    }
    return this._close(a, [], p);
  }

  /** The point held back, now (the stroke ends or a frame went by); [] when none. */
  flush() {
    if (this.held === null) return [];
    return this._emit(null);
  }

  get holding() {
    return this.held !== null;
  }
}

function mid(a, b) {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

/** The curve through points as a polyline of PIECE_SAMPLES chords per piece. */
function sampleCurve(points) {
  return sampleAlong(points, (len, straight) => (straight ? 1 : PIECE_SAMPLES));
}

/** The whole-stroke version (what `OnlineSimplifier` keeps, for one list of points). */
export function simplify(points, tol) {
  if (points.length < 3) return points.slice();
  const s = new OnlineSimplifier(points[0], tol);
  const out = [points[0]];
  for (let i = 1; i < points.length; i += 1) out.push(...s.push(points[i]));
  out.push(...s.flush());
  return out;
}

/**
 * Points along the painted curve: quadratic pieces from midpoint to midpoint, each point
 * the control of one, straight from the first point and to the last (as drawing.py's
 * curve_pieces). `step` is the spacing of samples along each piece, in world units.
 */
export function curvePoints(points, step = 0.25) {
  return sampleAlong(points, (len) => Math.max(1, Math.ceil(len / step)));
}

/**
 * The painted curve as a polyline: `count(len, straight)` samples on each piece (`len` the
 * length of its control polygon; `straight` for the last piece, a line to the last point),
 * the last sample of each piece exactly its end.
 */
function sampleAlong(points, count) {
  const n = points.length;
  if (n < 3) return points.map((p) => [p[0], p[1]]);
  const out = [[points[0][0], points[0][1]]];
  let sx = points[0][0];
  let sy = points[0][1];
  for (let i = 1; i < n - 1; i += 1) {
    const [cx, cy] = points[i];
    const ex = (cx + points[i + 1][0]) / 2;
    const ey = (cy + points[i + 1][1]) / 2;
    const k = count(Math.hypot(cx - sx, cy - sy) + Math.hypot(ex - cx, ey - cy), false);
    for (let j = 1; j <= k; j += 1) {
      const t = j / k;
      const u = 1 - t;
      out.push([u * u * sx + 2 * u * t * cx + t * t * ex, u * u * sy + 2 * u * t * cy + t * t * ey]);
    }
    sx = ex;
    sy = ey;
  }
  const [lx, ly] = points[n - 1];
  const k = count(Math.hypot(lx - sx, ly - sy), true);
  for (let j = 1; j < k; j += 1) out.push([sx + ((lx - sx) * j) / k, sy + ((ly - sy) * j) / k]);
  out.push([lx, ly]);
  return out;
}

/** The farthest any point of `a` lies from the polyline `b`. */
export function farthest(a, b) {
  let worst = 0;
  for (const p of a) {
    let best = Infinity;
    for (let i = 0; i + 1 < b.length && best > worst; i += 1) {
      best = Math.min(best, segmentDistance(p[0], p[1], b[i], b[i + 1]));
    }
    if (b.length === 1) best = Math.hypot(p[0] - b[0][0], p[1] - b[0][1]);
    worst = Math.max(worst, best);
  }
  return worst;
}

/** How far apart two strokes look: the larger of the two one-way distances of their curves. */
export function curveDeviation(a, b, step = 0.25) {
  const ca = curvePoints(a, step);
  const cb = curvePoints(b, step);
  return Math.max(farthest(ca, cb), farthest(cb, ca));
}

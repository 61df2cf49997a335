// Freehand strokes (a list of points): the bounds, hit test and canvas painting shared by the
// pen-like element types. Pure module: no DOM.

import { nearPolyline, padBox, pointsBox } from './shapes.js';

/** The width of a pressure stroke at pressure p (0-1; a point without pressure counts 0.5). */
export function pressureWidth(w, p) {
  return w * (0.3 + 1.4 * (p ?? 0.5));
}

/** The widest a stroke gets: pressure can draw up to 1.7 times its strokeWidth. */
function widest(el, pressure) {
  const pts = el.points;
  return pressure && pts.length && pts[0].length === 3 ? pressureWidth(el.strokeWidth, 1)
    : el.strokeWidth;
}

/** `pressure: false` for a stroke type that is always of even width. */
export function strokeBounds(el, { pressure = true } = {}) {
  const b = Array.isArray(el.points) ? pointsBox(el.points) : null;
  return b && padBox(b, widest(el, pressure) / 2 + 1);
}

export function strokeHit(el, x, y, tol, { pressure = true } = {}) {
  return Array.isArray(el.points) && el.points.length > 0 &&
    nearPolyline(el.points, x, y, tol + widest(el, pressure) / 2);
}

function dotWidth(el, p, pressure) {
  return pressure ? pressureWidth(el.strokeWidth, p[2]) : el.strokeWidth;
}

function dot(ctx, el, p, pressure) {
  ctx.beginPath();
  ctx.arc(p[0], p[1], dotWidth(el, p, pressure) / 2, 0, Math.PI * 2);
  ctx.fillStyle = el.strokeColor;
  ctx.fill();
}

/**
 * One stroke of even width, smoothed through the midpoints of its points: each point is the
 * control of a quadratic piece from the midpoint before it to the one after, so a quick
 * curve sampled once a frame (a plain-HTTP page gets no coalesced pointer samples) shows no
 * corners. The server's SVG and PDF draw the same curve (lanboard/drawing.py curve_pieces).
 * `ctx.lbLod` (set by the renderer when zoomed out) is the distance under which points are
 * skipped: they add raster work but no visible shape; the rest are still joined by curves.
 */
export function paintEvenStroke(ctx, el) {
  const pts = el.points;
  ctx.strokeStyle = el.strokeColor;
  ctx.lineWidth = el.strokeWidth;
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  const lod = ctx.lbLod || 0;
  const n = pts.length;
  if (lod > 0) {
    // The curve through the points kept: the previous kept point is the control.
    let c = null;
    let lx = pts[0][0];
    let ly = pts[0][1];
    for (let i = 1; i < n - 1; i += 1) {
      const p = pts[i];
      if (Math.abs(p[0] - lx) + Math.abs(p[1] - ly) < lod) continue;
      if (c) ctx.quadraticCurveTo(c[0], c[1], (c[0] + p[0]) / 2, (c[1] + p[1]) / 2);
      c = p;
      lx = p[0];
      ly = p[1];
    }
    const last = pts[n - 1];
    if (c) ctx.quadraticCurveTo(c[0], c[1], (c[0] + last[0]) / 2, (c[1] + last[1]) / 2);
  } else {
    for (let i = 1; i < n - 1; i += 1) {
      const p = pts[i];
      const q = pts[i + 1];
      ctx.quadraticCurveTo(p[0], p[1], (p[0] + q[0]) / 2, (p[1] + q[1]) / 2);
    }
  }
  const last = pts[n - 1];
  ctx.lineTo(last[0], last[1]);
  ctx.stroke();
}

/** A pressure stroke: each stretch gets its own width, smoothed through the midpoints. */
function paintPressureStroke(ctx, el) {
  const pts = el.points;
  ctx.strokeStyle = el.strokeColor;
  let mx = pts[0][0];
  let my = pts[0][1];
  for (let i = 1; i < pts.length; i += 1) {
    const p = pts[i];
    const nx = i + 1 < pts.length ? (p[0] + pts[i + 1][0]) / 2 : p[0];
    const ny = i + 1 < pts.length ? (p[1] + pts[i + 1][1]) / 2 : p[1];
    ctx.beginPath();
    ctx.moveTo(mx, my);
    ctx.quadraticCurveTo(p[0], p[1], nx, ny);
    ctx.lineWidth = pressureWidth(el.strokeWidth, p[2]);
    ctx.stroke();
    mx = nx;
    my = ny;
  }
}

/** Paints a pen stroke: a dot, a pressure stroke, or an even one. False when it has no points. */
export function paintStroke(ctx, el, { pressure = true } = {}) {
  const pts = el.points;
  if (!Array.isArray(pts) || !pts.length) return false;
  if (pts.length === 1) dot(ctx, el, pts[0], pressure);
  else if (pressure && pts[0].length === 3) paintPressureStroke(ctx, el);
  else paintEvenStroke(ctx, el);
  return true;
}

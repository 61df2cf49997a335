// Freehand strokes (a list of points): the bounds, hit test, canvas painting and SVG shared by
// the pen-like element types. Pure module: no DOM.

import { escapeXml, nearPolyline, padBox, pointsBox, svgNum } from './shapes.js';

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
 * One stroke of even width, smoothed through the midpoints of its points. `ctx.lbLod` (set by
 * the renderer when zoomed out) is the distance under which points are skipped: they add
 * raster work but no visible shape.
 */
export function paintEvenStroke(ctx, el) {
  const pts = el.points;
  ctx.strokeStyle = el.strokeColor;
  ctx.lineWidth = el.strokeWidth;
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  const lod = ctx.lbLod || 0;
  if (lod > 0) {
    let lx = pts[0][0];
    let ly = pts[0][1];
    for (let i = 1; i < pts.length - 1; i += 1) {
      const p = pts[i];
      if (Math.abs(p[0] - lx) + Math.abs(p[1] - ly) < lod) continue;
      ctx.lineTo(p[0], p[1]);
      lx = p[0];
      ly = p[1];
    }
  } else {
    for (let i = 1; i < pts.length - 1; i += 1) {
      const p = pts[i];
      const q = pts[i + 1];
      ctx.quadraticCurveTo(p[0], p[1], (p[0] + q[0]) / 2, (p[1] + q[1]) / 2);
    }
  }
  const last = pts[pts.length - 1];
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

function pathData(pts) {
  let d = `M${svgNum(pts[0][0])} ${svgNum(pts[0][1])}`;
  for (let i = 1; i < pts.length - 1; i += 1) {
    const p = pts[i];
    const q = pts[i + 1];
    d += `Q${svgNum(p[0])} ${svgNum(p[1])} ${svgNum((p[0] + q[0]) / 2)} ` +
      `${svgNum((p[1] + q[1]) / 2)}`;
  }
  const last = pts[pts.length - 1];
  return `${d}L${svgNum(last[0])} ${svgNum(last[1])}`;
}

/** SVG markup of a stroke; `attrs` is added to its outermost element (opacity, for example). */
export function strokeSvg(el, { pressure = true, attrs = '' } = {}) {
  const pts = el.points;
  if (!Array.isArray(pts) || !pts.length) return '';
  const color = escapeXml(el.strokeColor);
  const extra = attrs ? ` ${attrs}` : '';
  if (pts.length === 1) {
    return `<circle cx="${svgNum(pts[0][0])}" cy="${svgNum(pts[0][1])}" ` +
      `r="${svgNum(dotWidth(el, pts[0], pressure) / 2)}" fill="${color}"${extra}/>`;
  }
  if (pressure && pts[0].length === 3) {
    const parts = [];
    for (let i = 1; i < pts.length; i += 1) {
      const w = pressureWidth(el.strokeWidth, pts[i][2]);
      parts.push(`<path d="M${svgNum(pts[i - 1][0])} ${svgNum(pts[i - 1][1])}` +
        `L${svgNum(pts[i][0])} ${svgNum(pts[i][1])}" stroke-width="${svgNum(w)}"/>`);
    }
    return `<g fill="none" stroke="${color}"${extra}>${parts.join('')}</g>`;
  }
  return `<path d="${pathData(pts)}" fill="none" stroke="${color}" ` +
    `stroke-width="${svgNum(el.strokeWidth)}"${extra}/>`;
}


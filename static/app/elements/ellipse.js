// An ellipse inscribed in a box (a corner, a size of either sign), with an optional fill.

import { transformFields } from './fields.js';
import { BOX_FIELDS, boxBounds, fillAndStroke } from './box.js';
import { normRect, segmentDistance } from './shapes.js';

/**
 * Distance from (px, py) to the outline of the ellipse with radii a, b centred on the origin.
 * The closest point is found by a few steps that follow the ellipse's curvature (each step
 * treats the arc near the current guess as a circle about its centre of curvature); three are
 * enough for sub-pixel accuracy at any aspect ratio. By symmetry only one quadrant is needed.
 */
export function ellipseDistance(px, py, a, b) {
  const x = Math.abs(px);
  const y = Math.abs(py);
  let tx = Math.SQRT1_2;
  let ty = Math.SQRT1_2;
  for (let i = 0; i < 3; i += 1) {
    const ex = ((a * a - b * b) * tx ** 3) / a;
    const ey = ((b * b - a * a) * ty ** 3) / b;
    const r = Math.hypot(a * tx - ex, b * ty - ey);
    const qx = x - ex;
    const qy = y - ey;
    const q = Math.hypot(qx, qy) || 1;
    tx = Math.min(1, Math.max(0, ((qx * r) / q + ex) / a));
    ty = Math.min(1, Math.max(0, ((qy * r) / q + ey) / b));
    const t = Math.hypot(tx, ty) || 1;
    tx /= t;
    ty /= t;
  }
  return Math.hypot(x - a * tx, y - b * ty);
}

function hit(el, x, y, tol) {
  const n = normRect(el.x, el.y, el.width, el.height);
  const reach = tol + el.strokeWidth / 2;
  const rx = n.width / 2;
  const ry = n.height / 2;
  if (rx < 1 || ry < 1) {
    return segmentDistance(x, y, n.x, n.y, n.x + n.width, n.y + n.height) <= reach;
  }
  const cx = n.x + rx;
  const cy = n.y + ry;
  if (el.fillColor && ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) return true;
  return ellipseDistance(x - cx, y - cy, rx, ry) <= reach;
}

export default {
  type: 'ellipse',
  fields: BOX_FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 4 }),
  bounds: boxBounds,
  hit,
  draw(ctx, el) {
    const r = normRect(el.x, el.y, el.width, el.height);
    ctx.beginPath();
    ctx.ellipse(r.x + r.width / 2, r.y + r.height / 2, r.width / 2, r.height / 2, 0, 0,
      Math.PI * 2);
    fillAndStroke(ctx, el);
  },
  transform: (el, t) => transformFields(BOX_FIELDS, el, t),
};

// An ellipse inscribed in a box (a corner, a size of either sign), with an optional fill.

import { transformFields } from './fields.js';
import { BOX_FIELDS, boxBounds } from './box.js';
import { normRect, segmentDistance } from './shapes.js';

function hit(el, x, y, tol) {
  const n = normRect(el.x, el.y, el.width, el.height);
  const reach = tol + el.strokeWidth / 2;
  const rx = n.width / 2;
  const ry = n.height / 2;
  if (rx < 1 || ry < 1) {
    return segmentDistance(x, y, n.x, n.y, n.x + n.width, n.y + n.height) <= reach;
  }
  const d = Math.hypot((x - n.x - rx) / rx, (y - n.y - ry) / ry);
  if (d <= 1 && el.fillColor) return true;
  // Distance to the outline, estimated as the radial gap scaled by the smaller radius: exact on
  // a circle, a little generous along the long axis of a flat ellipse.
  return Math.abs(d - 1) * Math.min(rx, ry) <= reach;
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
    if (el.fillColor) {
      ctx.fillStyle = el.fillColor;
      ctx.fill();
    }
    ctx.strokeStyle = el.strokeColor;
    ctx.lineWidth = el.strokeWidth;
    ctx.stroke();
  },
  transform: (el, t) => transformFields(BOX_FIELDS, el, t),
};

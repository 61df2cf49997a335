// A rectangle: a corner, a size of either sign, an optional fill.

import { transformFields } from './fields.js';
import { BOX_FIELDS, boxBounds, boxHit } from './box.js';
import { normRect } from './shapes.js';

export default {
  type: 'rect',
  fields: BOX_FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 4 }),
  bounds: boxBounds,
  hit: (el, x, y, tol) => boxHit(el, x, y, tol),
  draw(ctx, el) {
    const r = normRect(el.x, el.y, el.width, el.height);
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.width, r.height);
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

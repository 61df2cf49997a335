// A rectangle: a corner, a size of either sign, an optional fill.

import { transformFields } from './fields.js';
import { BOX_FIELDS, boxBounds, boxHit, fillAndStroke } from './box.js';
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
    fillAndStroke(ctx, el);
  },
  transform: (el, t) => transformFields(BOX_FIELDS, el, t),
};

// A highlighter: a wide, translucent pen stroke. Its points are a path's and it grows by
// `append` the same way; it is painted as one stroke (an overlap of its own segments would
// show darker) of even width at about a third opacity, with round caps and joins.

import { field, fieldTable, transformFields } from './fields.js';
import { paintStroke, strokeBounds, strokeHit } from './strokes.js';

const FIELDS = fieldTable({ points: field('points') });
const ALPHA = 0.35;
// Pressure, when a pen sends it, is kept in the points but never changes the width.
const EVEN = Object.freeze({ pressure: false });

export default {
  type: 'highlighter',
  fields: FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#facc15', strokeWidth: 16 }),
  bounds: (el) => strokeBounds(el, EVEN),
  hit: (el, x, y, tol) => strokeHit(el, x, y, tol, EVEN),
  draw(ctx, el) {
    const prev = ctx.globalAlpha;
    ctx.globalAlpha = prev * ALPHA;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const ok = paintStroke(ctx, el, EVEN);
    ctx.globalAlpha = prev;
    return ok;
  },
  transform: (el, t) => transformFields(FIELDS, el, t),
};


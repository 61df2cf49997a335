// A freehand pen stroke: 1-20,000 points, each [x, y] or [x, y, pressure]. Pressure strokes
// vary their width along the stroke. Grows by `append` while it is drawn.

import { field, fieldTable, transformFields } from './fields.js';
import { paintStroke, strokeBounds, strokeHit } from './strokes.js';

const FIELDS = fieldTable({ points: field('points') });

export default {
  type: 'path',
  fields: FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 4 }),
  bounds: strokeBounds,
  hit: strokeHit,
  draw: (ctx, el) => paintStroke(ctx, el),
  transform: (el, t) => transformFields(FIELDS, el, t),
};

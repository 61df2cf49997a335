// A straight line between two points (the seed protocol's element).

import { transformFields } from './fields.js';
import { segmentBounds, nearSegment, beginSegment, SEGMENT_FIELDS } from './segment.js';

export default {
  type: 'line',
  fields: SEGMENT_FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 4 }),
  bounds: (el) => segmentBounds(el),
  hit: nearSegment,
  draw(ctx, el) {
    beginSegment(ctx, el);
    ctx.stroke();
  },
  transform: (el, t) => transformFields(SEGMENT_FIELDS, el, t),
};

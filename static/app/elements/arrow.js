// A line with an open head at its second point (x2, y2).

import { transformFields } from './fields.js';
import { segmentBounds, nearSegment, beginSegment, SEGMENT_FIELDS } from './segment.js';
import { segmentDistance } from './shapes.js';

export function arrowHeadSize(strokeWidth) {
  return Math.max(10, strokeWidth * 4);
}

/** The two back corners of an arrow head pointing at (x2, y2). */
export function arrowHead(x1, y1, x2, y2, strokeWidth) {
  const size = arrowHeadSize(strokeWidth);
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const spread = Math.PI / 7;
  return [
    [x2 - size * Math.cos(angle - spread), y2 - size * Math.sin(angle - spread)],
    [x2 - size * Math.cos(angle + spread), y2 - size * Math.sin(angle + spread)],
  ];
}

function hasHead(el) {
  return el.x1 !== el.x2 || el.y1 !== el.y2;
}

export default {
  type: 'arrow',
  fields: SEGMENT_FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 4 }),
  bounds: (el) => segmentBounds(el, arrowHeadSize(el.strokeWidth)),
  hit(el, x, y, tol) {
    if (nearSegment(el, x, y, tol)) return true;
    if (!hasHead(el)) return false;
    const reach = tol + el.strokeWidth / 2;
    return arrowHead(el.x1, el.y1, el.x2, el.y2, el.strokeWidth)
      .some((c) => segmentDistance(x, y, c[0], c[1], el.x2, el.y2) <= reach);
  },
  draw(ctx, el) {
    beginSegment(ctx, el);
    if (hasHead(el)) {
      const [a, b] = arrowHead(el.x1, el.y1, el.x2, el.y2, el.strokeWidth);
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(el.x2, el.y2);
      ctx.lineTo(b[0], b[1]);
    }
    ctx.stroke();
  },
  transform: (el, t) => transformFields(SEGMENT_FIELDS, el, t),
};

// World-space boxes {x0, y0, x1, y1} as the renderer works with them: overlap, a box after a
// transform, the union. Pure module.

export { boxesIntersect as intersects } from './elements/shapes.js';

/** A box after a transform {dx, dy, sx, sy, ox, oy}: scale first, then move (as the wire). */
export function transformBox(b, t) {
  if (!b || !t) return b;
  const sx = t.sx ?? 1;
  const sy = t.sy ?? 1;
  const ox = t.ox ?? 0;
  const oy = t.oy ?? 0;
  const x0 = ox + (b.x0 - ox) * sx + (t.dx ?? 0);
  const x1 = ox + (b.x1 - ox) * sx + (t.dx ?? 0);
  const y0 = oy + (b.y0 - oy) * sy + (t.dy ?? 0);
  const y1 = oy + (b.y1 - oy) * sy + (t.dy ?? 0);
  return { x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1),
    y1: Math.max(y0, y1) };
}

export function isMoveOnly(t) {
  return (t.sx ?? 1) === 1 && (t.sy ?? 1) === 1;
}

/** The union of boxes (nulls skipped), or null when there is none. */
export function unionOf(boxes) {
  let box = null;
  for (const b of boxes) {
    if (!b) continue;
    if (!box) box = { ...b };
    else {
      if (b.x0 < box.x0) box.x0 = b.x0;
      if (b.y0 < box.y0) box.y0 = b.y0;
      if (b.x1 > box.x1) box.x1 = b.x1;
      if (b.y1 > box.y1) box.y1 = b.y1;
    }
  }
  return box;
}

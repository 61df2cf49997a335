// What the box element types share (a corner, a size of either sign, an optional fill), and the
// one resize helper that turns a handle drag on a selection's box into a transform. Pure module.

import { field, fieldTable, MAX_SCALE, MIN_SCALE } from './fields.js';
import { inBox, nearBoxOutline, padBox, rectBox, strokePad } from './shapes.js';

export const BOX_FIELDS = fieldTable({
  x: field('x'), y: field('y'), width: field('w'), height: field('h'),
  fillColor: field('color', false),
});

export function boxBounds(el) {
  return padBox(rectBox(el), strokePad(el));
}

/** Near the outline, or anywhere inside when `filled`. */
export function boxHit(el, x, y, tol, filled = Boolean(el.fillColor)) {
  const b = rectBox(el);
  if (filled && inBox(b, x, y)) return true;
  return nearBoxOutline(b, x, y, tol + el.strokeWidth / 2);
}

/** The handles of a box, named by compass point: which edges each one drags. */
/** Fills the path just traced when the element has a fill, then strokes it (the box shapes). */
export function fillAndStroke(ctx, el) {
  if (el.fillColor) {
    ctx.fillStyle = el.fillColor;
    ctx.fill();
  }
  ctx.strokeStyle = el.strokeColor;
  ctx.lineWidth = el.strokeWidth;
  ctx.stroke();
}

export const HANDLES = Object.freeze({
  nw: [-1, -1], n: [0, -1], ne: [1, -1], e: [1, 0], se: [1, 1], s: [0, 1], sw: [-1, 1], w: [-1, 0],
});

/** Where each handle sits on box `b` ({x0, y0, x1, y1}): {name: [x, y]}. */
export function handlePoints(b) {
  const mx = (b.x0 + b.x1) / 2;
  const my = (b.y0 + b.y1) / 2;
  const out = {};
  for (const [name, [hx, hy]] of Object.entries(HANDLES)) {
    out[name] = [hx < 0 ? b.x0 : hx > 0 ? b.x1 : mx, hy < 0 ? b.y0 : hy > 0 ? b.y1 : my];
  }
  return out;
}

function clampScale(s) {
  const size = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.abs(s)));
  return s < 0 ? -size : size;
}

/**
 * The transform {dx: 0, dy: 0, sx, sy, ox, oy} that resizes box `b` by dragging `handle` to
 * (px, py): the opposite edge or corner stays put (it is the origin). Dragging past it flips
 * the box (a negative scale). With `keepAspect` a corner scales both axes by the larger
 * change, and an edge handle scales the other axis about the box's middle.
 * Scale factors are kept within what the server accepts (0.001-1,000 in size).
 */
export function resizeBox(b, handle, px, py, { keepAspect = false } = {}) {
  const [hx, hy] = HANDLES[handle] || [0, 0];
  const w = b.x1 - b.x0;
  const h = b.y1 - b.y0;
  let ox = hx > 0 ? b.x0 : hx < 0 ? b.x1 : (b.x0 + b.x1) / 2;
  let oy = hy > 0 ? b.y0 : hy < 0 ? b.y1 : (b.y0 + b.y1) / 2;
  let sx = hx && w ? (px - ox) / (hx > 0 ? w : -w) : 1;
  let sy = hy && h ? (py - oy) / (hy > 0 ? h : -h) : 1;
  if (keepAspect) {
    if (hx && hy) {
      const s = Math.max(Math.abs(sx), Math.abs(sy));
      sx = Math.sign(sx || 1) * s;
      sy = Math.sign(sy || 1) * s;
    } else if (hx) {
      sy = Math.abs(sx);
      oy = (b.y0 + b.y1) / 2;
    } else if (hy) {
      sx = Math.abs(sy);
      ox = (b.x0 + b.x1) / 2;
    }
  }
  return { dx: 0, dy: 0, sx: clampScale(sx), sy: clampScale(sy), ox, oy };
}

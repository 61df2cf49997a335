// An image (issue 15): a picture uploaded to the board (`asset` is the SHA-256 of its bytes,
// served by GET /api/rooms/{id}/assets/{asset}) placed in a box of either sign, like the box
// shapes. No stroke. A PDF page becomes one of these, locked, on its own board page.
//
// Pure module: the pixels come from a source the page sets (assets.js: setImageSource), so
// node imports this without a DOM. Until the picture is loaded a light placeholder is drawn,
// and the source asks for a repaint once it arrives.

import { field, fieldTable, transformFields } from './fields.js';
import { inBox, normRect, rectBox } from './shapes.js';

const FIELDS = fieldTable({
  asset: field('asset'), x: field('x'), y: field('y'), width: field('w'), height: field('h'),
}, { stroke: false });

/** asset hash -> a drawable (HTMLImageElement, ImageBitmap) or null while it loads. */
let source = () => null;

/** The page's image cache (assets.js) answers for every image element drawn. */
export function setImageSource(fn) {
  source = typeof fn === 'function' ? fn : () => null;
}

const PLACEHOLDER_FILL = '#f1f3f5';
const PLACEHOLDER_LINE = '#adb5bd';

export default {
  type: 'image',
  fields: FIELDS,
  resizable: true,
  defaults: () => ({}),
  bounds: (el) => rectBox(el),
  // The whole picture is solid: a press anywhere on it picks it up.
  hit: (el, x, y, tol) => inBox(rectBox(el), x, y, tol),
  draw(ctx, el) {
    const r = normRect(el.x, el.y, el.width, el.height);
    const img = source(el.asset);
    if (img) {
      ctx.save();
      // A negative width or height is a flipped picture, as a resize past the edge makes it.
      ctx.translate(el.x, el.y);
      ctx.scale(Math.sign(el.width) || 1, Math.sign(el.height) || 1);
      ctx.drawImage(img, 0, 0, Math.abs(el.width), Math.abs(el.height));
      ctx.restore();
      return true;
    }
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.width, r.height);
    ctx.fillStyle = PLACEHOLDER_FILL;
    ctx.fill();
    ctx.strokeStyle = PLACEHOLDER_LINE;
    ctx.lineWidth = Math.max(1, Math.min(r.width, r.height) / 200);
    ctx.stroke();
    return true;
  },
  transform: (el, t) => transformFields(FIELDS, el, t),
};

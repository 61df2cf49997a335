// A text: lines (hard newlines only) from the top-left corner (x, y), in strokeColor. Its width
// is estimated from the glyph count (lettering.js), so every screen and node agree on it.

import { field, fieldTable, transformFields } from './fields.js';
import { paintLines, textBox, textLines, useFont } from './lettering.js';
import { inBox } from './shapes.js';

const FIELDS = fieldTable({
  x: field('x'), y: field('y'), text: field('text'), fontSize: field('font'),
});

const bounds = (el) => textBox(el.x, el.y, el.text, el.fontSize);

export default {
  type: 'text',
  fields: FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 1, fontSize: 28, text: '' }),
  bounds,
  // Anywhere in its box: a text is picked up by its whole block, not only by the ink of glyphs.
  hit: (el, x, y, tol) => inBox(bounds(el), x, y, tol),
  draw(ctx, el) {
    ctx.fillStyle = el.strokeColor;
    useFont(ctx, el.fontSize);
    paintLines(ctx, textLines(el.text), el.x, el.y, el.fontSize);
  },
  transform: (el, t) => transformFields(FIELDS, el, t),
};

// A sticky note: a filled square (fillColor, or yellow paper when none is set) with its text
// wrapped to the note's width, hard newlines kept, and clipped to the note. Text in strokeColor.

import { field, fieldTable, transformFields } from './fields.js';
import { paintLines, useFont, wrapText } from './lettering.js';
import { inBox, normRect, padBox, rectBox } from './shapes.js';

export const STICKY_PAPER = '#fde68a';

const FIELDS = fieldTable({
  x: field('x'), y: field('y'), width: field('w'), height: field('h'), text: field('text'),
  fontSize: field('font'), fillColor: field('color', false),
});

/** The margin between the paper's edge and its text: half the font size, as the server's SVG. */
function margin(el) {
  return el.fontSize * 0.5;
}

// Wrapping measures every word; a board redraws its notes far more often than they change, so
// the lines are kept per element object (a changed note is a new object).
const wrapped = new WeakMap();

function wrappedLines(ctx, el, width) {
  const hit = wrapped.get(el);
  if (hit && hit.width === width && hit.text === el.text && hit.fontSize === el.fontSize) {
    return hit.lines;
  }
  const lines = wrapText(el.text, width, (s) => ctx.measureText(s).width);
  wrapped.set(el, { width, text: el.text, fontSize: el.fontSize, lines });
  return lines;
}

export default {
  type: 'sticky',
  fields: FIELDS,
  resizable: true,
  defaults: () => ({ strokeColor: '#1e1e1e', strokeWidth: 1, fillColor: STICKY_PAPER,
    width: 200, height: 200, fontSize: 24, text: '' }),
  bounds: (el) => padBox(rectBox(el), 1),
  // The whole note is paper: a click anywhere on it picks it up.
  hit: (el, x, y, tol) => inBox(rectBox(el), x, y, tol),
  draw(ctx, el) {
    const r = normRect(el.x, el.y, el.width, el.height);
    // The font is set outside save/restore: restore would undo it behind useFont's cache.
    useFont(ctx, el.fontSize);
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.width, r.height);
    ctx.fillStyle = el.fillColor || STICKY_PAPER;
    ctx.fill();
    ctx.clip();
    const m = margin(el);
    ctx.fillStyle = el.strokeColor;
    paintLines(ctx, wrappedLines(ctx, el, r.width - 2 * m), r.x + m, r.y + m, el.fontSize);
    ctx.restore();
  },
  transform: (el, t) => transformFields(FIELDS, el, t),
};

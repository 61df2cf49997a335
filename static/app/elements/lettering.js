// Text layout for the element types that hold text: lines, an estimated width that needs no
// DOM (so bounds and hit tests run under node and agree on every screen), word wrapping and the
// font. Pure module: no DOM.

/** Average glyph width as a share of the font size; good enough for bounds and hit tests. */
export const GLYPH_WIDTH = 0.6;
export const LINE_HEIGHT = 1.25;
export const FONT_FAMILY = 'system-ui, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

export function textLines(text) {
  return String(text ?? '').split('\n');
}

/** The estimated width of one line at `fontSize`. */
export function estimateWidth(line, fontSize) {
  return line.length * fontSize * GLYPH_WIDTH;
}

/** The estimated box of unwrapped text whose top left is (x, y). */
export function textBox(x, y, text, fontSize) {
  const lines = textLines(text);
  let longest = 0;
  for (const l of lines) if (l.length > longest) longest = l.length;
  return { x0: x, y0: y, x1: x + longest * fontSize * GLYPH_WIDTH,
    y1: y + lines.length * fontSize * LINE_HEIGHT };
}

/**
 * Splits `text` into lines no wider than `maxWidth` by `measure(str)`: hard newlines are kept,
 * words wrap at spaces, and a word wider than the whole line is broken between characters.
 */
export function wrapText(text, maxWidth, measure) {
  const out = [];
  for (const para of textLines(text)) {
    const words = para.split(' ');
    let line = '';
    for (const word of words) {
      const candidate = line ? `${line} ${word}` : word;
      if (measure(candidate) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (line) out.push(line);
      line = '';
      // A word too long for a line on its own: break it where it overflows.
      let rest = word;
      while (rest && measure(rest) > maxWidth) {
        let cut = 1;
        while (cut < rest.length && measure(rest.slice(0, cut + 1)) <= maxWidth) cut += 1;
        out.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    out.push(line);
  }
  return out;
}

/** Sets the canvas font for `fontSize`, skipping the (costly) parse when it is already set. */
export function useFont(ctx, fontSize) {
  if (ctx.lbFontSize !== fontSize) {
    ctx.font = `${fontSize}px ${FONT_FAMILY}`;
    ctx.lbFontSize = fontSize;
  }
}

/** Paints lines top-down from (x, y) in the current fill style. */
export function paintLines(ctx, lines, x, y, fontSize) {
  ctx.textBaseline = 'top';
  for (let i = 0; i < lines.length; i += 1) {
    ctx.fillText(lines[i], x, y + i * fontSize * LINE_HEIGHT);
  }
}

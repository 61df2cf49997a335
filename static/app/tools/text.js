// Text and sticky notes: a click asks the page to open the editor at that point. The page
// sends the element when the editor is committed (text is always drawn as text, never HTML).

import { newElement } from '../elements/index.js';

export const TEXT_ICON = '<path d="M5 6V4h14v2M12 4v16M9 20h6"/>';
export const STICKY_ICON = '<path d="M5 4h14v10l-5 6H5z"/><path d="M14 20v-6h5"/>';

/** Dark or white text, whichever reads on the given #rgb/#rrggbb paper. */
export function readableOn(color) {
  let hex = color.slice(1);
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#1e1e1e' : '#ffffff';
}

function placeTool(name, editorFor) {
  return {
    name,
    active: false,
    preview: null,
    down(ctx, pt) {
      return [{ op: 'edit', ...editorFor(ctx, pt) }];
    },
    move() {
      return [];
    },
    up() {
      return [];
    },
    cancel() {
      return [];
    },
  };
}

export function textTool() {
  return placeTool('text', (ctx, pt) => ({
    element: { id: ctx.newId(), elementType: 'text', x: pt.x, y: pt.y, text: '',
      fontSize: ctx.style.font, strokeColor: ctx.style.color, strokeWidth: 1 },
  }));
}

/**
 * A note centred on the click: yellow paper (the type's default) with text in the chosen
 * color, or, with a fill chosen, paper in the chosen color and text that reads on it.
 */
export function stickyTool() {
  return placeTool('sticky', (ctx, pt) => {
    const note = newElement('sticky', { id: ctx.newId(), strokeColor: ctx.style.color });
    note.x = Math.round(pt.x - note.width / 2);
    note.y = Math.round(pt.y - note.height / 2);
    note.fontSize = Math.min(ctx.style.font, note.fontSize);
    if (ctx.style.fill) {
      note.fillColor = ctx.style.color;
      note.strokeColor = readableOn(ctx.style.color);
    }
    return { element: note };
  });
}

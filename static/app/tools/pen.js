// The pen: a freehand stroke in the toolbar's color and width, with pen pressure.

import { strokeTool } from './stroke.js';

export const PEN_ICON = '<path d="M4 20c3-1 4-3 6-6l7.5-7.5a2.1 2.1 0 013 3L13 17c-3 2-5 3-9 3z"/>';

export function penTool() {
  return strokeTool('pen', 'path', (style) => ({ strokeColor: style.color,
    strokeWidth: style.width }));
}

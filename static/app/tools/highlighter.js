// The highlighter: a wide translucent stroke (the element type draws it translucent). It keeps
// a color of its own, yellow until a color is picked while it is the active tool.

import { strokeTool } from './stroke.js';

export const HIGHLIGHTER_ICON = '<path d="M9 15l-4 4h6l2-2M9 15l7.5-9.5a2 2 0 013 2.5L12 17z"/>' +
  '<path d="M4 21h16" opacity=".5"/>';
export const HIGHLIGHTER_STYLE = { color: '#facc15', widthIndex: 0 };
/** The narrowest highlighter: a highlighter as thin as a pen would not read as one. */
const MIN_WIDTH = 16;

export function highlighterTool() {
  return strokeTool('highlighter', 'highlighter', (style) => ({ strokeColor: style.color,
    strokeWidth: Math.max(MIN_WIDTH, style.width * 3) }), false);
}

// The toolbox: every tool with its label, keyboard shortcut and icon, in toolbar order. The
// toolbar and the keyboard are built from this list alone.
//
// A tool is {name, active, preview, down(ctx, pt), move(ctx, pt), up(ctx, pt|null), cancel(ctx)}
// and optionally dblclick(ctx, pt); each returns ops for the page (controller.js) and never
// touches the socket. `fill: true` marks tools that take the toolbar's fill choice, and
// `style` a tool that keeps a color and width of its own.

import { ERASER_ICON, eraserTool } from './eraser.js';
import { HIGHLIGHTER_ICON, HIGHLIGHTER_STYLE, highlighterTool } from './highlighter.js';
import { PEN_ICON, penTool } from './pen.js';
import { SELECT_ICON, selectTool } from './select.js';
import { SHAPE_TOOLS } from './shape.js';
import { STICKY_ICON, stickyTool, TEXT_ICON, textTool } from './text.js';

export const TOOL_INFO = [
  { name: 'select', label: 'Select', key: 'v', icon: SELECT_ICON, make: selectTool },
  { name: 'pen', label: 'Pen', key: 'p', icon: PEN_ICON, make: penTool },
  { name: 'highlighter', label: 'Highlighter', key: 'h', icon: HIGHLIGHTER_ICON,
    make: highlighterTool, style: HIGHLIGHTER_STYLE },
  ...SHAPE_TOOLS,
  { name: 'text', label: 'Text', key: 't', icon: TEXT_ICON, make: textTool },
  { name: 'sticky', label: 'Sticky note', key: 'n', icon: STICKY_ICON, make: stickyTool,
    fill: true },
  { name: 'eraser', label: 'Eraser', key: 'e', icon: ERASER_ICON, make: eraserTool },
];

export function toolInfo(name) {
  return TOOL_INFO.find((i) => i.name === name);
}

export function makeTools() {
  const tools = {};
  for (const info of TOOL_INFO) tools[info.name] = info.make();
  return tools;
}

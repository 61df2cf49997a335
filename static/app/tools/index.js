// The toolbox: every tool with its label and keyboard shortcut, in toolbar order.

import { eraserTool } from './eraser.js';
import { penTool } from './pen.js';
import { shapeTool } from './shape.js';
import { textTool } from './text.js';

export const TOOL_INFO = [
  { name: 'pen', label: 'Pen', key: 'p', make: penTool },
  { name: 'line', label: 'Line', key: 'l', make: () => shapeTool('line') },
  { name: 'arrow', label: 'Arrow', key: 'a', make: () => shapeTool('arrow') },
  { name: 'rect', label: 'Rectangle', key: 'r', make: () => shapeTool('rect') },
  { name: 'ellipse', label: 'Ellipse', key: 'o', make: () => shapeTool('ellipse') },
  { name: 'text', label: 'Text', key: 't', make: textTool },
  { name: 'eraser', label: 'Eraser', key: 'e', make: eraserTool },
];

export function makeTools() {
  const tools = {};
  for (const info of TOOL_INFO) tools[info.name] = info.make();
  return tools;
}

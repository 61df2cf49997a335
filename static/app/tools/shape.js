// Line, arrow, rectangle and ellipse: drag from one corner (or end) to the other. The shape
// shows as a preview while dragging and is sent as one `draw` on release. Shift keeps
// squares, circles and 45-degree angles. Boxes take the toolbar's fill choice.
//
// This is the one tool module that names these element types; the toolbar, the keyboard and
// the renderer learn about them from SHAPE_TOOLS through tools/index.js.

import { coord } from '../protocol.js';

export const SHAPE_TOOLS = [
  { name: 'line', label: 'Line', key: 'l', geometry: 'segment', icon: '<path d="M5 19L19 5"/>' },
  { name: 'arrow', label: 'Arrow', key: 'a', geometry: 'segment',
    icon: '<path d="M5 19L19 5M10 5h9v9"/>' },
  { name: 'rect', label: 'Rectangle', key: 'r', geometry: 'box', fill: true,
    icon: '<rect x="4" y="6" width="16" height="12" rx="1"/>' },
  { name: 'ellipse', label: 'Ellipse', key: 'o', geometry: 'box', fill: true,
    icon: '<ellipse cx="12" cy="12" rx="8.5" ry="6.5"/>' },
].map((info) => ({ ...info, make: () => shapeTool(info.name, info.geometry) }));

/**
 * @param {string} elementType the element type drawn
 * @param {'segment'|'box'} geometry two end points (x1..y2) or a box (x, y, width, height)
 */
export function shapeTool(elementType, geometry) {
  let start = null;
  let preview = null;
  let id = null;

  function build(ctx, pt) {
    let { x, y } = pt;
    const base = { id, elementType, strokeColor: ctx.style.color, strokeWidth: ctx.style.width };
    if (geometry === 'segment') {
      if (pt.shiftKey) {
        const angle = Math.round(Math.atan2(y - start.y, x - start.x) / (Math.PI / 4)) *
          (Math.PI / 4);
        const len = Math.hypot(x - start.x, y - start.y);
        x = start.x + len * Math.cos(angle);
        y = start.y + len * Math.sin(angle);
      }
      return { ...base, x1: coord(start.x), y1: coord(start.y), x2: coord(x), y2: coord(y) };
    }
    let w = x - start.x;
    let h = y - start.y;
    if (pt.shiftKey) {
      const side = Math.max(Math.abs(w), Math.abs(h));
      w = Math.sign(w || 1) * side;
      h = Math.sign(h || 1) * side;
    }
    const box = { ...base, x: coord(w < 0 ? start.x + w : start.x),
      y: coord(h < 0 ? start.y + h : start.y), width: coord(Math.abs(w)),
      height: coord(Math.abs(h)) };
    if (ctx.style.fill) box.fillColor = ctx.style.color;
    return box; // sent normalized: positive sizes from the top-left corner
  }

  return {
    name: elementType,
    get active() {
      return start !== null;
    },
    get preview() {
      return preview;
    },
    down(ctx, pt) {
      start = { x: pt.x, y: pt.y };
      id = ctx.newId();
      preview = build(ctx, pt);
      return [{ op: 'preview' }];
    },
    move(ctx, pt) {
      if (!start) return [];
      preview = build(ctx, pt);
      return [{ op: 'preview' }];
    },
    up(ctx, pt) {
      if (!start) return [];
      const el = pt ? build(ctx, pt) : preview;
      const tiny = Math.hypot(pt ? pt.x - start.x : 0, pt ? pt.y - start.y : 0) < 3 / ctx.scale;
      start = null;
      preview = null;
      return tiny ? [{ op: 'preview' }] : [{ op: 'preview' }, { op: 'draw', element: el }];
    },
    cancel() {
      start = null;
      preview = null;
      return [{ op: 'preview' }];
    },
  };
}

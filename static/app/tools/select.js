// The select tool: click picks the topmost element under the pointer (on its ink, within a few
// screen pixels), Shift+click adds or removes one, a drag on empty canvas selects by box, a
// drag on the selection moves it and a drag on a handle resizes it (Shift keeps the aspect
// ratio; the opposite handle stays put). Double-click edits a text or a note.
//
// Like every tool it only returns ops; the page keeps the selection, sends the messages and
// records history. A drag gives `drag` ops with a transform relative to where it began
// ({dx, dy} or {sx, sy, ox, oy}), then one `dragEnd` (or `dragCancel`).

import { coord } from '../protocol.js';

export const SELECT_ICON = '<path d="M6 3l12 9-5.5 1 3 6.5-2.5 1-3-6.5L6 18z"/>';

/** Hit tolerance and handle size, in screen pixels. */
export const HIT_PX = 4;
export const HANDLE_PX = 8;
/** A press that moves less than this (screen px) is a click, not a drag. */
const CLICK_PX = 3;
/** Smallest scale factor the server takes (|sx|, |sy| >= 0.001). */
const MIN_SCALE = 0.001;

/** The 8 handles of a box: name, position as fractions of the box, and the opposite handle. */
export const HANDLES = [
  ['nw', 0, 0], ['n', 0.5, 0], ['ne', 1, 0], ['e', 1, 0.5],
  ['se', 1, 1], ['s', 0.5, 1], ['sw', 0, 1], ['w', 0, 0.5],
];

export function handlePoints(box) {
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  return HANDLES.map(([name, fx, fy]) => ({ name, fx, fy, x: box.x0 + fx * w,
    y: box.y0 + fy * h }));
}

function roundScale(s) {
  const r = Math.round(s * 10000) / 10000;
  return Math.abs(r) < MIN_SCALE ? (r < 0 ? -MIN_SCALE : MIN_SCALE) : r;
}

/** The scale transform for dragging handle `h` of `box` to point `pt`. */
export function resizeTransform(box, h, pt, keepAspect) {
  const w = box.x1 - box.x0 || 1;
  const ht = box.y1 - box.y0 || 1;
  // The fixed point is the opposite handle: for an edge handle, the middle of the other edge.
  const ox = box.x0 + (1 - h.fx) * w;
  const oy = box.y0 + (1 - h.fy) * ht;
  let sx = h.fx === 0.5 ? 1 : (pt.x - ox) / (h.x - ox);
  let sy = h.fy === 0.5 ? 1 : (pt.y - oy) / (h.y - oy);
  if (keepAspect) {
    const s = h.fx === 0.5 ? Math.abs(sy) : h.fy === 0.5 ? Math.abs(sx)
      : Math.max(Math.abs(sx), Math.abs(sy));
    sx = (h.fx === 0.5 ? 1 : Math.sign(sx) || 1) * s;
    sy = (h.fy === 0.5 ? 1 : Math.sign(sy) || 1) * s;
  }
  return { sx: roundScale(sx), sy: roundScale(sy), ox: coord(ox), oy: coord(oy) };
}

export function selectTool() {
  let mode = null; // 'move' | 'resize' | 'box' | null
  let start = null;
  let handle = null;
  let box = null; // selection bounds when a resize began
  let moved = false;
  let clickedId = null;
  let t = null;

  function handleAt(ctx, pt) {
    const sel = ctx.selectionBox();
    if (!sel) return null;
    const r = HANDLE_PX / ctx.scale;
    for (const h of handlePoints(sel)) {
      if (Math.abs(pt.x - h.x) <= r && Math.abs(pt.y - h.y) <= r) return { h, sel };
    }
    return null;
  }

  function inside(b, pt) {
    return b && pt.x >= b.x0 && pt.x <= b.x1 && pt.y >= b.y0 && pt.y <= b.y1;
  }

  const tool = {
    name: 'select',
    preview: null,
    get active() {
      return mode !== null;
    },
    /** The marquee rectangle while box-selecting, in world units. */
    get marquee() {
      if (mode !== 'box' || !moved) return null;
      return { x0: Math.min(start.x, t.x), y0: Math.min(start.y, t.y),
        x1: Math.max(start.x, t.x), y1: Math.max(start.y, t.y) };
    },
    /** The resize handle under a point, for the pointer's shape. */
    handleAt(ctx, pt) {
      const hit = handleAt(ctx, pt);
      return hit ? hit.h.name : null;
    },
    down(ctx, pt) {
      start = { x: pt.x, y: pt.y };
      moved = false;
      t = null;
      clickedId = null;
      const onHandle = handleAt(ctx, pt); // Shift on a handle keeps the aspect ratio
      if (onHandle) {
        mode = 'resize';
        handle = onHandle.h;
        box = onHandle.sel;
        return [];
      }
      const hit = ctx.scene.hitTopmost(pt.x, pt.y, HIT_PX / ctx.scale);
      const id = hit ? hit.id : null;
      if (id && pt.shiftKey) {
        mode = null;
        return [{ op: 'select', ids: [id], how: 'toggle' }];
      }
      if (id && hit.locked === true && !ctx.isSelected(id)) {
        // Issue 15: a locked background (only the teacher gets here) is picked by a click;
        // a drag that starts on it selects by box, as on empty paper, so a worksheet does
        // not slide away under a marquee.
        mode = 'box';
        clickedId = id;
        t = { x: pt.x, y: pt.y };
        return [];
      }
      if (id) {
        mode = 'move';
        clickedId = id;
        return ctx.isSelected(id) ? [] : [{ op: 'select', ids: [id], how: 'replace' }];
      }
      if (!pt.shiftKey && inside(ctx.selectionBox(), pt)) {
        mode = 'move'; // a press inside the selection's box drags it, as on its ink
        return [];
      }
      mode = 'box';
      t = { x: pt.x, y: pt.y };
      return [];
    },
    move(ctx, pt) {
      if (!mode) return [];
      const far = Math.hypot(pt.x - start.x, pt.y - start.y) * ctx.scale >= CLICK_PX;
      if (!moved && !far) return [];
      moved = true;
      if (mode === 'box') {
        t = { x: pt.x, y: pt.y };
        return [{ op: 'marquee' }];
      }
      if (mode === 'move') {
        t = { dx: coord(pt.x - start.x), dy: coord(pt.y - start.y) };
      } else {
        t = resizeTransform(box, handle, pt, pt.shiftKey);
      }
      return [{ op: 'drag', t }];
    },
    up(ctx, pt) {
      const was = mode;
      mode = null;
      if (!was) return [];
      if (was === 'box') {
        if (!moved) {
          if (clickedId) return [{ op: 'select', ids: [clickedId], how: 'replace' }];
          return pt && pt.shiftKey ? [] : [{ op: 'select', ids: [], how: 'replace' }];
        }
        const m = { x0: Math.min(start.x, t.x), y0: Math.min(start.y, t.y),
          x1: Math.max(start.x, t.x), y1: Math.max(start.y, t.y) };
        const ids = ctx.scene.idsInBox(m.x0, m.y0, m.x1, m.y1);
        return [{ op: 'marquee' },
          { op: 'select', ids: [...ids], how: pt && pt.shiftKey ? 'add' : 'replace' }];
      }
      if (!moved) {
        // A click on one element of a bigger selection picks that element alone.
        return clickedId ? [{ op: 'select', ids: [clickedId], how: 'replace' }] : [];
      }
      if (!pt) return [{ op: 'dragCancel' }];
      return [{ op: 'dragEnd', t }];
    },
    cancel() {
      const was = mode;
      mode = null;
      if (was === 'box') return [{ op: 'marquee' }];
      return was && moved ? [{ op: 'dragCancel' }] : [];
    },
    dblclick(ctx, pt) {
      const hit = ctx.scene.hitTopmost(pt.x, pt.y, HIT_PX / ctx.scale);
      return hit ? [{ op: 'editExisting', id: hit.id }] : [];
    },
  };
  return tool;
}

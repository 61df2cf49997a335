// Eraser: removes whole elements it touches. One drag is one undoable action. The scene's
// spatial index answers which elements are near (no scan of the board per pointer move).

/** The eraser's radius in screen pixels. */
export const ERASER_RADIUS = 10;

export const ERASER_ICON = '<path d="M8 20h12M4.5 15.5l9-9a2 2 0 012.8 0l2.2 2.2a2 2 0 010 ' +
  '2.8L11 19H8z"/>';

export function eraserTool() {
  let gesture = 0;
  let dragging = false;
  let lastPt = null;

  function touched(ctx, pt) {
    const r = ERASER_RADIUS / ctx.scale;
    const ids = new Set();
    // Sample along the move so a quick swipe does not jump over thin strokes.
    const from = lastPt || pt;
    const steps = Math.max(1, Math.ceil(Math.hypot(pt.x - from.x, pt.y - from.y) / r));
    for (let i = 1; i <= steps; i += 1) {
      const x = from.x + ((pt.x - from.x) * i) / steps;
      const y = from.y + ((pt.y - from.y) * i) / steps;
      for (const id of ctx.scene.idsNear(x, y, r)) ids.add(id);
    }
    lastPt = pt;
    return ids.size ? [{ op: 'erase', ids: [...ids], group: gesture }] : [];
  }

  return {
    name: 'eraser',
    cursorRadius: ERASER_RADIUS,
    get active() {
      return dragging;
    },
    preview: null,
    down(ctx, pt) {
      gesture += 1;
      dragging = true;
      lastPt = null;
      return touched(ctx, pt);
    },
    move(ctx, pt) {
      return dragging ? touched(ctx, pt) : [];
    },
    up() {
      dragging = false;
      lastPt = null;
      return [{ op: 'endErase', group: gesture }];
    },
    cancel() {
      dragging = false;
      return [{ op: 'endErase', group: gesture }];
    },
  };
}

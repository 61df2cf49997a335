// Pointer, touch, wheel and keyboard input on the board. Turns gestures into tool calls (whose
// ops go to the page) or into pan and zoom of the view.
//
// - mouse: left button uses the tool; middle button or Space+drag pans.
// - wheel and two-finger trackpad scroll pan (deltaX and deltaY; Shift turns a vertical wheel
//   sideways); Ctrl+wheel (or Cmd) zooms about the pointer, and so does a trackpad pinch, which
//   the browser reports as a wheel with ctrlKey set. As in Excalidraw and tldraw. Safari on a
//   Mac reports a trackpad pinch as gesturestart/gesturechange instead: zoomed the same way.
// - touch: one finger uses the tool, two fingers pan and pinch-zoom. Once a pen has been seen,
//   fingers only pan and zoom (palm rejection).
// - a second finger cancels the first finger's stroke (erased here and for everyone), however
//   late it lands, unless that finger has already drawn a real stroke (see realStroke).
// - a double-click goes to the tool's dblclick, when it has one.

/**
 * A first finger that has travelled this far (CSS pixels along its path) has drawn a real
 * stroke: a second finger then only ends it. Less, and the stroke was the start of a pinch.
 * Fingers that land to pinch drift a few pixels, rarely 20; a stroke anyone means is longer.
 */
export const REAL_STROKE_PX = 48;

/** Whether the first finger's gesture is kept when a second lands: by distance, not time. */
export function realStroke(travelled) {
  return travelled >= REAL_STROKE_PX;
}

/**
 * What a wheel event does to the view: {zoom: factor, x, y} about the pointer, or
 * {pan: [dx, dy]} in screen pixels. deltaMode 1 is lines, 2 pages.
 */
export function wheelGesture(e, pageHeight = 800) {
  const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? pageHeight : 1;
  if (e.ctrlKey || e.metaKey) {
    // A pinch gives small deltas, a wheel notch about 100: both scaled to a gentle factor.
    const f = Math.exp(-e.deltaY * unit * 0.01);
    return { zoom: Math.max(0.5, Math.min(2, f)), x: e.clientX, y: e.clientY };
  }
  let dx = (e.deltaX || 0) * unit;
  let dy = (e.deltaY || 0) * unit;
  if (e.shiftKey && !dx) [dx, dy] = [dy, 0];
  return { pan: [-dx, -dy] };
}

export class Input {
  constructor(canvas, page) {
    this.canvas = canvas;
    this.page = page; // {view, tool(), toolCtx(), apply(ops), cursor(x,y), viewChanged()}
    this.pointers = new Map();
    this.drawing = null; // pointerId using the tool
    this.travelled = 0; // CSS pixels the drawing pointer has moved
    this.drawAt = null; // its last screen point
    this.pan = null; // {x, y} last screen point of a one-pointer pan
    this.pinch = null; // {dist, cx, cy}
    this.spaceDown = false;
    this.penSeen = false;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e, true));
    canvas.addEventListener('lostpointercapture', (e) => this.up(e, true));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.gestureScale = null; // a Safari pinch's scale so far (its events give it from the start)
    canvas.addEventListener('gesturestart', (e) => this.gesture(e, 'start'));
    canvas.addEventListener('gesturechange', (e) => this.gesture(e, 'change'));
    canvas.addEventListener('gestureend', (e) => this.gesture(e, 'end'));
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    canvas.addEventListener('dblclick', (e) => this.dblclick(e));
  }

  /** A double-click goes to the tool that wants one (the select tool edits a text there). */
  dblclick(e) {
    const tool = this.page.tool();
    if (tool.dblclick) this.page.apply(tool.dblclick(this.page.toolCtx(), this.world(e)));
  }

  world(e) {
    const [x, y] = this.page.view.toWorld(e.clientX, e.clientY);
    return { x, y, pressure: e.pressure, pointerType: e.pointerType, shiftKey: e.shiftKey };
  }

  down(e) {
    if (e.pointerType === 'pen') this.penSeen = true;
    this.canvas.setPointerCapture(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, type: e.pointerType });
    e.preventDefault();
    const touches = [...this.pointers.values()].filter((p) => p.type === 'touch');
    if (e.pointerType === 'touch' && touches.length >= 2) {
      this.cancelDrawing(!realStroke(this.travelled));
      this.pan = null;
      this.startPinch(touches);
      return;
    }
    const panning = e.button === 1 || this.spaceDown || (e.pointerType === 'touch' && this.penSeen);
    if (panning) {
      this.pan = { x: e.clientX, y: e.clientY };
      this.canvas.classList.add('panning');
      return;
    }
    if (e.button !== 0 || this.drawing !== null) return;
    this.drawing = e.pointerId;
    this.travelled = 0;
    this.drawAt = { x: e.clientX, y: e.clientY };
    this.page.apply(this.page.tool().down(this.page.toolCtx(), this.world(e)));
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    if (p) {
      p.x = e.clientX;
      p.y = e.clientY;
    }
    const [wx, wy] = this.page.view.toWorld(e.clientX, e.clientY);
    if (e.pointerType !== 'touch') this.page.cursor(wx, wy);
    if (this.pinch) {
      this.movePinch();
      return;
    }
    if (this.pan && p) {
      this.page.view.panBy(e.clientX - this.pan.x, e.clientY - this.pan.y);
      this.pan = { x: e.clientX, y: e.clientY };
      this.page.viewChanged();
      return;
    }
    if (this.drawing !== e.pointerId) return;
    if (this.drawAt) {
      this.travelled += Math.hypot(e.clientX - this.drawAt.x, e.clientY - this.drawAt.y);
      this.drawAt = { x: e.clientX, y: e.clientY };
    }
    const tool = this.page.tool();
    const ctx = this.page.toolCtx();
    // A pen reports more samples than frames: use them all for a faithful stroke.
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    const list = events.length ? events : [e];
    const ops = [];
    for (const ev of list) ops.push(...tool.move(ctx, this.world(ev)));
    this.page.apply(ops);
  }

  up(e, cancelled = false) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    if (this.pinch) {
      const touches = [...this.pointers.values()].filter((p) => p.type === 'touch');
      if (touches.length < 2) this.pinch = null;
      return;
    }
    if (this.pan) {
      this.pan = null;
      this.canvas.classList.remove('panning');
      return;
    }
    if (this.drawing !== e.pointerId) return;
    this.drawing = null;
    const tool = this.page.tool();
    if (cancelled && e.type === 'pointercancel') this.page.apply(tool.up(this.page.toolCtx(), null));
    else this.page.apply(tool.up(this.page.toolCtx(), this.world(e)));
  }

  /** Stops the tool gesture; `discard` removes what it drew (a pinch that began as a touch). */
  cancelDrawing(discard) {
    if (this.drawing === null) return;
    this.drawing = null;
    const tool = this.page.tool();
    this.page.apply(discard ? tool.cancel(this.page.toolCtx()) : tool.up(this.page.toolCtx(), null));
  }

  startPinch(touches) {
    const [a, b] = touches;
    this.pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, cx: (a.x + b.x) / 2,
      cy: (a.y + b.y) / 2 };
  }

  movePinch() {
    const touches = [...this.pointers.values()].filter((p) => p.type === 'touch');
    if (touches.length < 2) return;
    const [a, b] = touches;
    const dist = Math.hypot(a.x - b.x, a.y - b.y) || 1;
    const cx = (a.x + b.x) / 2;
    const cy = (a.y + b.y) / 2;
    const view = this.page.view;
    view.panBy(cx - this.pinch.cx, cy - this.pinch.cy);
    view.zoomAt(cx, cy, dist / this.pinch.dist);
    this.pinch = { dist, cx, cy };
    this.page.viewChanged();
  }

  /**
   * Safari's pinch (a Mac trackpad): without this the whole page would zoom, not the board.
   * Touch screens fire these beside their pointers, which the pinch above already follows,
   * so they are left alone while a finger is down.
   */
  gesture(e, phase) {
    e.preventDefault();
    const fingers = [...this.pointers.values()].some((p) => p.type === 'touch');
    if (phase !== 'change' || fingers) {
      this.gestureScale = phase === 'start' ? 1 : null;
      return;
    }
    const scale = e.scale;
    if (this.gestureScale === null || !(scale > 0) || !Number.isFinite(scale)) return;
    this.page.view.zoomAt(e.clientX, e.clientY, scale / this.gestureScale);
    this.gestureScale = scale;
    this.page.viewChanged();
  }

  wheel(e) {
    e.preventDefault();
    const view = this.page.view;
    const g = wheelGesture(e, window.innerHeight);
    if (g.zoom) view.zoomAt(g.x, g.y, g.zoom);
    else view.panBy(g.pan[0], g.pan[1]);
    this.page.viewChanged();
  }
}

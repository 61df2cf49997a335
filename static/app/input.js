// Pointer, touch, wheel and keyboard input on the board. Turns gestures into tool calls (whose
// ops go to the page) or into pan and zoom of the view.
//
// - mouse: left button uses the tool; middle button or Space+drag pans; the wheel zooms.
// - touch: one finger uses the tool, two fingers pan and pinch-zoom. Once a pen has been seen,
//   fingers only pan and zoom (palm rejection).
// - a stroke begun by one finger is cancelled when a second finger lands soon after.
// - a double-click goes to the tool's dblclick, when it has one.

/** A second finger this soon after the first turns the gesture into pan/zoom, undoing it. */
const SECOND_FINGER_MS = 250;

export class Input {
  constructor(canvas, page) {
    this.canvas = canvas;
    this.page = page; // {view, tool(), toolCtx(), apply(ops), cursor(x,y), viewChanged()}
    this.pointers = new Map();
    this.drawing = null; // pointerId using the tool
    this.drawStart = 0;
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
      this.cancelDrawing(performance.now() - this.drawStart < SECOND_FINGER_MS);
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
    this.drawStart = performance.now();
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

  wheel(e) {
    e.preventDefault();
    const view = this.page.view;
    if (e.shiftKey && !e.ctrlKey) {
      view.panBy(-e.deltaY, 0);
    } else {
      const unit = e.deltaMode === 1 ? 16 : 1; // lines to pixels
      view.zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * unit * (e.ctrlKey ? 0.01 : 0.0015)));
    }
    this.page.viewChanged();
  }
}

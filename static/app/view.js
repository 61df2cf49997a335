// The camera over the unbounded canvas: screen = world * scale + offset (CSS pixels).

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 20;

export class View {
  constructor() {
    this.scale = 1;
    this.ox = 0;
    this.oy = 0;
    this.version = 0;
  }

  toWorld(sx, sy) {
    return [(sx - this.ox) / this.scale, (sy - this.oy) / this.scale];
  }

  toScreen(wx, wy) {
    return [wx * this.scale + this.ox, wy * this.scale + this.oy];
  }

  panBy(dx, dy) {
    if (!dx && !dy) return;
    this.ox += dx;
    this.oy += dy;
    this.version += 1;
  }

  /** Zooms by `factor` keeping the world point under (sx, sy) where it is. */
  zoomAt(sx, sy, factor) {
    const next = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.scale * factor));
    if (next === this.scale) return;
    const [wx, wy] = this.toWorld(sx, sy);
    this.scale = next;
    this.ox = sx - wx * next;
    this.oy = sy - wy * next;
    this.version += 1;
  }

  reset() {
    this.scale = 1;
    this.ox = 0;
    this.oy = 0;
    this.version += 1;
  }

  /** The world rectangle visible in a viewport of width w and height h. */
  visible(w, h) {
    const [x0, y0] = this.toWorld(0, 0);
    const [x1, y1] = this.toWorld(w, h);
    return { x0, y0, x1, y1 };
  }

  /** Puts world (x, y) at the center of a w x h viewport at scale `zoom` (follow me). */
  center(x, y, zoom, w, h) {
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, zoom));
    this.scale = scale;
    this.ox = w / 2 - x * scale;
    this.oy = h / 2 - y * scale;
    this.version += 1;
  }

  /**
   * Shows the world box `b` ({x0, y0, x1, y1}) whole, centered in the w x h viewport with
   * `margin` screen pixels around it, at most at `maxScale` (a small drawing is not blown up).
   */
  fit(b, w, h, margin = 40, maxScale = 1) {
    const bw = Math.max(b.x1 - b.x0, 1);
    const bh = Math.max(b.y1 - b.y0, 1);
    const room = (size) => Math.max(size - 2 * margin, 1);
    const s = Math.min(maxScale, room(w) / bw, room(h) / bh);
    this.scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, s));
    this.ox = w / 2 - ((b.x0 + b.x1) / 2) * this.scale;
    this.oy = h / 2 - ((b.y0 + b.y1) / 2) * this.scale;
    this.version += 1;
  }

  /** Whether world box `b` lies inside the w x h viewport, `margin` pixels in from its edges. */
  shows(b, w, h, margin = 0) {
    const [x0, y0] = this.toScreen(b.x0, b.y0);
    const [x1, y1] = this.toScreen(b.x1, b.y1);
    return x0 >= margin && y0 >= margin && x1 <= w - margin && y1 <= h - margin;
  }

  /** World (x, y) at the viewport's top-left corner at scale `zoom` (a `view=` link). */
  place(x, y, zoom) {
    this.scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, zoom));
    this.ox = -x * this.scale;
    this.oy = -y * this.scale;
    this.version += 1;
  }

  snapshot() {
    return { scale: this.scale, ox: this.ox, oy: this.oy };
  }
}

/**
 * The camera a page address asks for: `view=X,Y,ZOOM` puts world (X, Y) at the viewport's
 * top-left corner at ZOOM (`view=0,0,1` is the default camera). Null when absent or invalid:
 * three finite numbers, |X| and |Y| at most 1,000,000 (the element coordinate limit) and ZOOM
 * within MIN_SCALE..MAX_SCALE.
 */
export function parseViewParam(raw) {
  if (typeof raw !== 'string' || raw.length > 100) return null;
  const parts = raw.split(',');
  if (parts.length !== 3 || parts.some((p) => !/^\s*-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(p))) {
    return null;
  }
  const [x, y, zoom] = parts.map(Number);
  if (![x, y, zoom].every(Number.isFinite)) return null;
  if (Math.abs(x) > 1e6 || Math.abs(y) > 1e6 || zoom < MIN_SCALE || zoom > MAX_SCALE) return null;
  return { x, y, zoom };
}

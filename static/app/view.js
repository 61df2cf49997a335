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

  snapshot() {
    return { scale: this.scale, ox: this.ox, oy: this.oy };
  }
}

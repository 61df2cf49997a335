// Laser trails (issue 14): the points each person's laser passed, in world coordinates, that
// fade out and are gone FADE_MS after they were made. Never stored, never part of the scene.
// Pure: the renderer paints what `trails(now)` gives; node tests pin the fading.

/** A laser point is painted for this long after it arrived (well within the 2 s asked). */
export const FADE_MS = 1500;
/** At most this many points per person (a fast pointer sends ~30 a second). */
const MAX_POINTS = 90;

export class LaserTrails {
  constructor() {
    /** userId -> {color, points: [{x, y, t}]} */
    this.byUser = new Map();
  }

  add(userId, x, y, color, now) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    let trail = this.byUser.get(userId);
    if (!trail) {
      trail = { color: color || '#e03131', points: [] };
      this.byUser.set(userId, trail);
    }
    if (color) trail.color = color;
    trail.points.push({ x, y, t: now });
    if (trail.points.length > MAX_POINTS) trail.points.splice(0, trail.points.length - MAX_POINTS);
  }

  /** Drops faded points; true while something is left to paint. */
  prune(now) {
    for (const [id, trail] of this.byUser) {
      const keep = trail.points.filter((p) => now - p.t < FADE_MS);
      if (keep.length) trail.points = keep;
      else this.byUser.delete(id);
    }
    return this.byUser.size > 0;
  }

  /** [{userId, color, points: [{x, y, alpha}]}] still visible at `now`, oldest point first. */
  trails(now) {
    this.prune(now);
    const out = [];
    for (const [userId, trail] of this.byUser) {
      out.push({
        userId, color: trail.color,
        points: trail.points.map((p) => ({ x: p.x, y: p.y, alpha: 1 - (now - p.t) / FADE_MS })),
      });
    }
    return out;
  }

  get size() {
    return this.byUser.size;
  }
}

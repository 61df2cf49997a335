// "Follow me" (issue 14): whether a `view` from the teacher moves this page, and where to.
// A viewer (a projector) always follows the teacher's view; a student follows while the
// board's follow setting is on, until they pan themselves, and resumes with the "Follow
// teacher" button; "bring everyone to me" (data.all) moves everyone once. Pure: no DOM, so
// node tests pin it.

export class Follow {
  constructor() {
    /** False once a student panned away; the button turns it back on. */
    this.following = true;
    /** The teacher's last view, for resuming at once. */
    this.last = null;
  }

  /** A `view` arrived: true when it should move this page. */
  take(data, role, settings) {
    if (!data || !Number.isFinite(data.x) || !Number.isFinite(data.y)) return false;
    if (!(data.zoom > 0)) return false;
    this.last = { x: data.x, y: data.y, zoom: data.zoom };
    if (role === 'teacher') return false;
    if (data.all === true || role === 'viewer') return true;
    if (!settings.follow) return false;
    return this.following;
  }

  /** The person moved the view themselves: a student stops following (a viewer never does). */
  panned(role) {
    if (role === 'student') this.following = false;
  }

  /** Whether the "Follow teacher" button should show. */
  showResume(role, settings) {
    return role === 'student' && settings.follow && !this.following;
  }

  resume() {
    this.following = true;
    return this.last;
  }
}

/** The view {scale, ox, oy} that puts world (x, y) at the center of a w x h viewport. */
export function viewCentered(x, y, zoom, w, h) {
  return { scale: zoom, ox: w / 2 - x * zoom, oy: h / 2 - y * zoom };
}

/** The world point at the center of the viewport and the zoom: what the teacher sends. */
export function viewCenter(view, w, h) {
  const [x, y] = view.toWorld(w / 2, h / 2);
  return { x, y, zoom: view.scale };
}

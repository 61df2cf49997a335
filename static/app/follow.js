// "Follow me" (issue 14): whether a `view` from the teacher moves this page, and where to.
// A viewer (a projector) always follows the teacher's view; a student follows while the
// board's follow setting is on, until they pan themselves, and resumes with the "Follow
// teacher" button; "bring everyone to me" (data.all) moves everyone once. Pure: no DOM, so
// node tests pin it.

/** The board page a `view` is on (issue 15): its `page`, or 1 when it has none. */
export function viewPage(data) {
  const p = data && data.page;
  return Number.isInteger(p) && p >= 1 ? p : 1;
}

export class Follow {
  constructor() {
    /** False once a student panned away; the button turns it back on. */
    this.following = true;
    /** The teacher's last view, for resuming at once. */
    this.last = null;
    /** Issue 15: called with the teacher's page before this page moves to their view. */
    this.onPage = null;
  }

  /** A `view` arrived: true when it should move this page (to its page first). */
  take(data, role, settings) {
    if (!this._decide(data, role, settings)) return false;
    if (this.onPage) this.onPage(this.last.page);
    return true;
  }

  _decide(data, role, settings) {
    if (!data || !Number.isFinite(data.x) || !Number.isFinite(data.y)) return false;
    if (!(data.zoom > 0)) return false;
    this.last = { x: data.x, y: data.y, zoom: data.zoom, page: viewPage(data) };
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
    if (this.last && this.onPage) this.onPage(this.last.page);
    return this.last;
  }
}

/** Issue 15: the page the teacher is on, for the views they send (set by the page bar). */
let currentPage = () => 1;
export function setViewPage(fn) {
  currentPage = fn;
}

/** The view {scale, ox, oy} that puts world (x, y) at the center of a w x h viewport. */
export function viewCentered(x, y, zoom, w, h) {
  return { scale: zoom, ox: w / 2 - x * zoom, oy: h / 2 - y * zoom };
}

/** The world point at the center of the viewport and the zoom: what the teacher sends. */
export function viewCenter(view, w, h) {
  const [x, y] = view.toWorld(w / 2, h / 2);
  const out = { x, y, zoom: view.scale };
  // Page 1 goes without `page`, as before pages existed: a follower reads absent as 1.
  const page = currentPage();
  if (page > 1) out.page = page;
  return out;
}

// The board page's side of issue 14, wired in one place: the page's key, its role and the
// board's settings turned into the tools' state (view only), follow me (sending the teacher's
// view, following it), the laser (ours and the others'), and the teacher's console. The
// server enforces every rule; this only reflects them. main.js builds one per page.

import { Follow, viewCenter } from './follow.js';
import { LaserTrails } from './laser.js';
import { canLaser, viewOnlyReason } from './roles.js';
import { Throttle } from './throttle.js';
import { confirmAction } from './ui/dialogs.js';
import { buildTeacher } from './ui/teacher.js';

/** The teacher's view goes out at most this often while "follow me" is on. */
const VIEW_EVERY_MS = 100;

/** The teacher key this browser kept when it created (claimed) the board, or ''. */
function keptTeacherKey(roomId) {
  try {
    const links = JSON.parse(localStorage.getItem(`lanboard.links.${roomId}`) || 'null');
    return links && typeof links.teacher === 'string'
      ? new URL(links.teacher, location.href).searchParams.get('key') || '' : '';
  } catch {
    return '';
  }
}

/**
 * The page's key: the address's `key` (a teacher or viewer link) wins; else the browser that
 * created the board is its teacher. {key, kept}: kept when it came from storage.
 */
export function pageKey(params, roomId) {
  const inUrl = params.get('key') || '';
  if (inUrl) return { key: inUrl, kept: false };
  const kept = keptTeacherKey(roomId);
  return { key: kept, kept: Boolean(kept) };
}

/**
 * What the pointer does while the page may not draw (view only) or points with the laser:
 * a drag pans (the world point under the finger stays there), or moves the laser.
 */
function gestureTool(view, panned, laserAt) {
  let start = null;
  const at = (pt) => {
    if (laserAt(pt)) return;
    if (!start) return;
    view.panBy((pt.x - start.x) * view.scale, (pt.y - start.y) * view.scale);
    panned();
  };
  return {
    down(ctx, pt) { start = pt; at(pt); return []; },
    move(ctx, pt) { at(pt); return []; },
    up() { start = null; return []; },
    cancel() { start = null; return []; },
  };
}

export class Classroom {
  /**
   * @param {object} o {roomId, params, session, view, renderer, toolbar, history, editor,
   *   viewChanged(): the page's repaint after the view moved}
   */
  constructor(o) {
    Object.assign(this, o);
    this.readOnly = false;
    this.follow = new Follow();
    this.laser = new LaserTrails();
    this.teacher = null;
    /** The replaced-link question is on screen (linkReplaced). */
    this._asking = false;
    /** The Input, once built: a stroke in progress ends when the tools go off. */
    this.input = null;
    this._users = null;
    // Sends the view as it is when the send happens; the value says "to everyone" (all).
    this._view = new Throttle(VIEW_EVERY_MS, (all) => this._sendView(all));
    o.renderer.setLaser(this.laser);
    o.renderer.setPresenter(o.params.get('presenter') === '1');
    const { session } = o;
    session.onView = (data) => {
      if (this.follow.take(data, session.role, session.settings)) this.goTo(data);
    };
    session.onLaser = (userId, data, now) => {
      if (userId === session.me.userId) return; // ours is drawn as it is sent
      this.laser.add(userId, data.x, data.y, data.color, now);
      o.renderer.request();
    };
    // Someone else's "New links" ended this page's teacher or viewer link (issue 14).
    session.onReplaced = () => this.linkReplaced();
    document.getElementById('conn').addEventListener('click', () => {
      if (document.getElementById('conn').dataset.state === 'replaced') this.linkReplaced();
    });
    // This browser's own New links, from another tab, kept the new links (newLinks).
    window.addEventListener('storage', (ev) => {
      if (ev.key !== `lanboard.links.${this.roomId}`) return;
      if (document.getElementById('conn').dataset.state !== 'replaced') return;
      const ask = document.getElementById('confirm-dialog');
      if (this._takeKeptKey() && this._asking && ask.open) ask.close();
    });
    session.onSettings = () => {
      this.showRole();
      // The students see the teacher's view as soon as following starts.
      if (this.sharesView()) this.sendView();
    };
    this.gesture = gestureTool(o.view, () => {
      this.ownViewChange();
      o.viewChanged();
    }, (pt) => {
      if (!this.teacher || !this.teacher.laserOn) return false;
      session.laser(pt.x, pt.y);
      this.laser.add(session.me.userId, pt.x, pt.y, session.me.color, performance.now());
      o.renderer.request();
      return true;
    });
  }

  /** The tool the pointer drives: the page's own, or panning and the laser. */
  tool(own) {
    return this.readOnly || (this.teacher && this.teacher.laserOn) ? this.gesture : own;
  }

  /** Builds the teacher's console and its buttons (after the page's HTTP api exists). */
  attach(api) {
    const { session, renderer } = this;
    this.teacher = buildTeacher({
      session, api,
      presenter: (on) => renderer.setPresenter(on),
      bringAll: () => this.sendView(true),
      laser: () => renderer.request(),
      resumeFollow: () => {
        this.goTo(this.follow.resume());
        this.showRole();
      },
      newLinks: (links) => this.newLinks(links),
    });
    this.showRole();
  }

  /** Keys were rotated: reconnects use the new teacher key, and this browser keeps it. */
  newLinks(links) {
    let key = null;
    try {
      key = new URL(links.teacher, location.href).searchParams.get('key');
    } catch {
      return;
    }
    if (!key) return;
    this.session.useKey(key); // reconnects with it if the server already ended the old one
    this._keyInAddress(key);
    try {
      localStorage.setItem(`lanboard.links.${this.roomId}`, JSON.stringify(links));
    } catch {
      // private mode: the Share dialog still shows them while the page is open
    }
  }

  /**
   * The teacher made new links and this page's key is dead: the session stopped (no retry
   * with that key) and the top bar says the link was replaced. The way on is the student
   * link, which needs no key: on a yes the page drops the key from its address (and the
   * dead one this browser kept) and goes on in place as a student, resuming.
   */
  async linkReplaced() {
    const { session } = this;
    const dead = session.key;
    if (this._takeKeptKey()) return;
    // Another question on screen (the one dialog it shares): the top bar's click asks later.
    if (this._asking || !dead || document.getElementById('confirm-dialog').open) return;
    this._asking = true;
    let go;
    try {
      go = await confirmAction('This link was replaced by the teacher',
        'Ask for the new one. Meanwhile you can go on as a student, without the key.',
        'Go on as a student');
    } finally {
      this._asking = false;
    }
    if (!go || session.key !== dead) return;
    if (keptTeacherKey(this.roomId) === dead) {
      try {
        localStorage.removeItem(`lanboard.links.${this.roomId}`);
      } catch {
        // storage blocked: nothing was kept
      }
    }
    this._keyInAddress('');
    session.goOnWith('');
  }

  /**
   * A teacher page whose link was replaced by this browser's own New links in another tab
   * goes on with the teacher key that tab kept: true when it did.
   */
  _takeKeptKey() {
    const { session } = this;
    const fresh = keptTeacherKey(this.roomId);
    if (session.role !== 'teacher' || !fresh || fresh === session.key) return false;
    this._keyInAddress(fresh);
    session.goOnWith(fresh);
    return true;
  }

  /** The page's address names this key ('': none), when it named one (a reload keeps it). */
  _keyInAddress(key) {
    if (!this.params.get('key')) return;
    if (key) this.params.set('key', key);
    else this.params.delete('key');
    const query = this.params.toString();
    window.history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  }

  /** The presence list changed: the console's list of people follows. */
  usersChanged() {
    if (this.session.users === this._users) return;
    const hadViewer = this.sharesView();
    this._users = this.session.users;
    // A projector that just joined shows the teacher's view at once.
    if (!hadViewer && this.sharesView()) this.sendView();
    this.showRole();
  }

  /** Whether the teacher's view goes out: while "follow me" is on, and always while a
   * viewer (a projector) is on the board, which follows by default. */
  sharesView() {
    const { session } = this;
    if (session.role !== 'teacher') return false;
    return Boolean(session.settings.follow) ||
      (session.users || []).some((u) => u.role === 'viewer');
  }

  sendView(all = false) {
    this._view.sendNow(all);
  }

  _sendView(all) {
    const { session, view } = this;
    if (session.role !== 'teacher') return;
    const data = viewCenter(view, window.innerWidth, window.innerHeight);
    if (all) data.all = true;
    session.send({ type: 'view', data });
  }

  /** The person moved the view: a student stops following; a followed teacher sends it. */
  ownViewChange() {
    const { session } = this;
    this.follow.panned(session.role);
    if (this.sharesView()) this._view.push(false);
    this.showRole();
  }

  goTo(v) {
    if (!v) return;
    this.view.center(v.x, v.y, v.zoom, window.innerWidth, window.innerHeight);
    this.viewChanged();
  }

  /** Role, settings or presence changed: the tools, the badge and the buttons follow. */
  showRole() {
    const { session, toolbar } = this;
    const reason = viewOnlyReason(session.role, session.settings, session.me.userId);
    if (Boolean(reason) !== this.readOnly) {
      // A stroke in progress ends as it is (the server refuses it if it must) before the
      // tools go off, so nothing stays half drawn on this page.
      if (reason && this.input) this.input.cancelDrawing(false);
      this.readOnly = Boolean(reason);
      if (this.readOnly) this.editor.commit();
    }
    toolbar.showViewOnly(reason);
    if (!this.readOnly) toolbar.showHistory(this.history.canUndo, this.history.canRedo);
    document.body.dataset.role = session.role;
    if (this.teacher) {
      this.teacher.show({ teacher: session.role === 'teacher',
        laserAllowed: canLaser(session.role, session.settings),
        resume: this.follow.showResume(session.role, session.settings) });
    }
  }
}

// The board as this client sees it. Pure module: no DOM, no socket.
//
// Invariants:
// - `confirmed` (scene/board.js) is built only from server messages: sync/resume, then the
//   stored kinds (draw, append, erase, clear, update, order) in seq order, this client's own
//   echoes included. A message at or below the held seq is skipped, so nothing applies twice.
// - Local changes the server has not echoed sit on top as an overlay: `pendingDraw` (the element
//   as this page shows it, for draws, appends and updates), `pendingErase` (ids hidden) and
//   `pendingOrder` (a place in board order). Each entry counts its messages in flight
//   (`outstanding`) and whether it changed while offline (`unsent`). It leaves once every echo
//   is back, or as soon as the server shows it can never be confirmed (the element was erased
//   or cleared, or the message was refused): then the page shows the server's board.
// - After a reconnect or a rate_limited drop, `afterCatchUp` names exactly what to send again:
//   full draws (never appends), so nothing applies twice. An element someone else changed
//   after the page's own change was made is left as the server has it.
// - Element objects are never changed once handed out, with one exception: the points array
//   of a stroke still being drawn (`isLive(id)`) grows in place, so an append is O(1). Whoever
//   keeps an element past the current frame takes it through `snapshot(id)` (or a local change
//   method, which does the same): its array is then never grown again (copy on write).
// - Board order is the server's: a new element goes on top, a replaced one keeps its place;
//   local elements and local orders not yet echoed show above (front) or below (back) it all.
// - The spatial index (scene/finder.js) holds exactly the displayed elements, live strokes too.

import { Board } from './scene/board.js';
import { sameElement } from './scene/compare.js';
import { Finder } from './scene/finder.js';
import {
  serverAppend, serverClear, serverDraw, serverErase, serverOrder, serverUpdate,
} from './scene/incoming.js';
import { localAppend, localDraw, localErase, localOrder, localUpdate } from './scene/local.js';
import { Previews } from './scene/previews.js';
import { afterCatchUp, markResent, onRefused } from './scene/recovery.js';


const NOTICES = {
  erased: 'Someone erased the stroke you were drawing.',
  cleared: 'The board was cleared while you were drawing.',
  refused: 'The server refused that stroke.',
};

export class Scene {
  constructor() {
    this.confirmed = new Board();
    /** id -> entry (see _entry): local element states not yet echoed. */
    this.pendingDraw = new Map();
    /** id -> {outstanding, unsent}: local erases not yet echoed. */
    this.pendingErase = new Map();
    /** id -> {rank, to, outstanding, unsent}: local orders not yet echoed. */
    this.pendingOrder = new Map();
    /** ids of strokes still being drawn (drawn on the overlay), id -> last change time. */
    this.live = new Map();
    /** ids of this client's own strokes in progress (never expire on their own). */
    this.ownLive = new Set();
    this.seq = 0;
    this.userId = null;
    this.synced = false;
    /** Bumped by every clear: history from before it must never come back. */
    this.epoch = 0;
    this.version = 0;
    this._full = true;
    this._top = [];
    this._overlay = false;
    this._lastCatchUp = 'sync';
    this._counter = 0;
    this._orderCache = null;
    /** id -> {seq, userId}: the last stored change that touched id. */
    this._last = new Map();
    /** id -> seq: the last stored change to id's content by someone else. */
    this._lastOther = new Map();
    /** id -> the points array of confirmed[id] this scene allocated and may grow. */
    this._owned = new Map();
    /** Own strokes the server removed while they were drawn: nothing more is sent for them. */
    this._gone = new Set();
    this._notices = [];
    /** first id of a local message -> ids it carried (to drop them if it is refused). */
    this._sent = new Map();
    this.finder = new Finder((id) => this.get(id), (id) => this.rankOf(id),
      () => this.elements());
    this.previews = new Previews((id) => this.get(id));
  }

  // ---- what the renderer and the tools read ------------------------------------------

  /** The element as displayed (local overlay first), or undefined. */
  get(id) {
    if (this.pendingErase.has(id)) return undefined;
    const p = this.pendingDraw.get(id);
    return p ? p.el : this.confirmed.get(id);
  }

  /** The element, safe to keep: a live stroke's points are not grown in it any more. */
  snapshot(id) {
    this._release(id);
    return this.get(id);
  }

  /** Place in displayed board order: a higher rank is drawn later, on top. */
  rankOf(id) {
    const o = this.pendingOrder.get(id);
    if (o) return o.rank;
    const r = this.confirmed.rank(id);
    if (r !== undefined) return r;
    const p = this.pendingDraw.get(id);
    return p ? p.rank : -Infinity;
  }

  /** Ids shown below (low) and above (high) the confirmed ones, each in board order. */
  _order() {
    if (this._orderCache) return this._orderCache;
    const low = [];
    const high = [];
    for (const [id, o] of this.pendingOrder) (o.rank < 0 ? low : high).push(id);
    for (const id of this.pendingDraw.keys()) {
      if (!this.confirmed.has(id) && !this.pendingOrder.has(id)) high.push(id);
    }
    const by = (a, b) => this.rankOf(a) - this.rankOf(b);
    this._orderCache = { low: low.sort(by), high: high.sort(by) };
    return this._orderCache;
  }

  /** Displayed elements in board order, bottom first. */
  * elements() {
    const { low, high } = this._order();
    for (const id of low) {
      const el = this.get(id);
      if (el) yield el;
    }
    if (!this.pendingErase.size && !this.pendingOrder.size && !this.pendingDraw.size) {
      yield* this.confirmed.values(); // the usual case: no overlay to look up per element
    } else {
      for (const [id, el] of this.confirmed) {
        if (this.pendingErase.has(id) || this.pendingOrder.has(id)) continue;
        const p = this.pendingDraw.get(id);
        yield p ? p.el : el;
      }
    }
    for (const id of high) {
      const el = this.get(id);
      if (el) yield el;
    }
  }

  get size() {
    let n = this.confirmed.size;
    for (const id of this.pendingDraw.keys()) {
      if (!this.confirmed.has(id) && !this.pendingErase.has(id)) n += 1;
    }
    for (const id of this.pendingErase.keys()) if (this.confirmed.has(id)) n -= 1;
    return n;
  }

  /**
   * What changed since the last call: `full` (repaint the static layer), `top` (ids to draw on
   * top of it) and `overlay` (selections or drag previews of others changed).
   */
  takeChanges() {
    const out = { full: this._full, top: this._full ? [] : this._top, overlay: this._overlay };
    this._full = false;
    this._top = [];
    this._overlay = false;
    return out;
  }

  _changed(full, topId) {
    this.version += 1;
    if (full) this._full = true;
    else if (topId !== undefined && !this._full) this._top.push(topId);
  }

  isLive(id) {
    return this.live.has(id);
  }

  /** The last stored change that touched id: {seq, userId}, or undefined. */
  lastChange(id) {
    return this._last.get(id);
  }

  /**
   * Notices for the person, each said once: [{kind: 'strokeGone', id, reason, message}] for an
   * own stroke the server removed while it was drawn (end the stroke), [{kind: 'refused', code,
   * ids, message}] for a refused change. String(notice) is its message.
   */
  takeNotices() {
    const out = this._notices;
    this._notices = [];
    return out;
  }

  /** True for an own stroke the server removed while it was drawn: send nothing more for it. */
  isGone(id) {
    return this._gone.has(id);
  }

  // ---- spatial queries (scene/finder.js) ----------------------------------------------

  /** The topmost displayed element whose drawing is within tol of (x, y), or null. */
  hitTopmost(x, y, tol = 0) {
    return this.finder.hitTopmost(x, y, tol);
  }

  /** Ids of displayed elements whose bounds lie entirely inside the box, in board order. */
  idsInBox(x0, y0, x1, y1) {
    return this.finder.idsInBox(x0, y0, x1, y1);
  }

  /** Ids of displayed elements whose drawing is within r of (x, y), in board order. */
  idsNear(x, y, r) {
    return this.finder.idsNear(x, y, r);
  }

  /** Issue 15: whether the person may pick el (its page is shown, it is not locked to them). */
  picks(el) {
    return this.finder.picks(el);
  }

  /**
   * Builds the spatial index now (it is built on first use after a sync). Call it once the
   * board is painted, from an idle callback, so the first pointer move does not pay for it.
   */
  warmUp() {
    this.finder.warm();
  }

  /** Bounds {x0, y0, x1, y1} of a displayed element, from the index (no recomputation). */
  boundsOf(id) {
    return this.finder.boxOf(id);
  }

  // ---- other people's selections and drags (scene/previews.js) -------------------------

  /** `select`, `transform` and `leave` from the server. True when the message was used. */
  applyEphemeral(msg) {
    if (!msg || (msg.userId === this.userId && msg.type !== 'leave')) return false;
    const who = msg.type === 'leave' ? msg.data?.userId ?? msg.userId : msg.userId;
    let hiddenChanged;
    if (msg.type === 'select') hiddenChanged = this.previews.select(who, msg.data);
    else if (msg.type === 'transform') hiddenChanged = this.previews.transform(who, msg.data);
    else if (msg.type === 'leave') hiddenChanged = this.previews.leave(who);
    else return false;
    this._overlay = true;
    if (hiddenChanged) this._changed(true);
    return true;
  }

  /** Each other user's selection: {userId, color, ids} (ids still on the board). */
  remoteSelections() {
    const all = this.previews.selections();
    const shows = this.finder.shows; // issue 15: outlines only for the page on screen
    if (!shows) return all;
    return all.map((s) => ({ ...s, ids: s.ids.filter((id) => shows(this.get(id))) }));
  }

  /** Elements others are dragging, as their drag shows them (an array; draw on the overlay). */
  previewed() {
    return this.previews.previewed(this.version);
  }

  /** True while someone drags id: the static layer leaves it out. */
  hiddenByPreview(id) {
    return this.previews.hidden.has(id);
  }

  get previewHidden() {
    return this.previews.hidden;
  }

  // ---- server messages ------------------------------------------------------------------

  applySync(data) {
    this.confirmed.reset(data.elements || []);
    this.seq = data.seq || 0;
    this.userId = data.userId ?? this.userId;
    this.synced = true;
    for (const id of this.live.keys()) if (!this.ownLive.has(id)) this.live.delete(id);
    this._last.clear();
    this._lastOther.clear();
    this._owned.clear();
    this.previews.reset();
    this._orderCache = null;
    this.finder.invalidate();
    this._changed(true);
    this._overlay = true;
    this._lastCatchUp = 'sync';
  }

  applyResume(data) {
    this.userId = data.userId ?? this.userId;
    this.synced = true;
    this._lastCatchUp = 'resume';
  }

  /**
   * Apply one stored change. Messages at or below the seq already held are skipped, so a
   * replayed frame can never apply a change twice.
   */
  applyChange(msg, now = 0) {
    if (typeof msg.seq === 'number') {
      if (msg.seq <= this.seq) return false;
      this.seq = msg.seq;
    }
    const mine = msg.userId !== undefined && msg.userId === this.userId;
    const data = msg.data || {};
    const at = { seq: msg.seq, userId: msg.userId, mine };
    switch (msg.type) {
      case 'draw':
        serverDraw(this, data, at, now);
        break;
      case 'append':
        serverAppend(this, data, at, now);
        break;
      case 'erase':
        serverErase(this, Array.isArray(data.ids) ? data.ids : [], at);
        break;
      case 'clear':
        serverClear(this);
        break;
      case 'update':
        serverUpdate(this, data, at);
        break;
      case 'order':
        serverOrder(this, data, at);
        break;
      default:
        return false;
    }
    return true;
  }

  /**
   * Drops a pending entry once every message for it is back. Returns true when what is shown
   * changed (the server's element differs from the overlay's, someone else changed it too).
   */
  _settle(id, p) {
    if (p.outstanding > 0 || p.unsent || this.ownLive.has(id)) return false;
    this.pendingDraw.delete(id);
    this._orderCache = null;
    const server = this.confirmed.get(id);
    this.finder.touch(id);
    if (sameElement(server, p.el)) return false;
    this._changed(true);
    return true;
  }

  /** Removes a local entry the server will never confirm; an own live stroke ends too. */
  _dropEntry(id, reason, message = NOTICES[reason]) {
    this.pendingDraw.delete(id);
    this._orderCache = null;
    if (this.ownLive.has(id)) {
      this.ownLive.delete(id);
      this.live.delete(id);
      this._gone.add(id);
      // toString: a caller that shows notices as text gets the message.
      if (reason) {
        this._notices.push({ kind: 'strokeGone', id, reason, message, toString: () => message });
      }
    }
    this.finder.touch(id);
  }

  /** Moves remote strokes that stopped growing onto the static layer. */
  expireLive(now, maxAge = 800) {
    for (const [id, t] of this.live) {
      if (this.ownLive.has(id) || now - t < maxAge) continue;
      this.live.delete(id);
      this._settleToStatic(id);
    }
  }

  _isTop(id) {
    const { high } = this._order();
    if (high.length) return high[high.length - 1] === id;
    return !this.pendingOrder.has(id) && this.confirmed.isTop(id);
  }

  _settleToStatic(id) {
    // Drawing on top is exact only when nothing else lies above the element in board order.
    if (this._isTop(id) && !this._full) this._changed(false, id);
    else this._changed(true);
  }

  /** Stop growing id's points array in place: someone keeps the element. */
  _release(id) {
    this._owned.delete(id);
    const p = this.pendingDraw.get(id);
    if (p) p.ownArr = null;
  }

  // ---- local changes (scene/local.js; the caller sends the messages) --------------------

  /** A local draw (`live`: an own stroke being drawn, shown on the overlay). */
  localDraw(el, sent, live = false) {
    localDraw(this, el, sent, live);
  }

  /**
   * Points added to an own stroke being drawn. False when the stroke is gone (erased or
   * cleared by someone else meanwhile): the caller must send nothing for it.
   */
  localAppend(id, points, sent) {
    return localAppend(this, id, points, sent);
  }

  /**
   * A move, resize or restyle of the displayed elements `ids`; change is {move?, scale?, set?}
   * as on the wire. Returns [[before, after], ...] for the elements it changed.
   */
  localUpdate(ids, change, sent) {
    return localUpdate(this, ids, change, sent);
  }

  /** Brings ids to the front or sends them to the back. Returns the ids, in board order. */
  localOrder(ids, to, sent) {
    return localOrder(this, ids, to, sent);
  }

  /** Hides ids at once; returns the elements that were shown (for undo). */
  localErase(ids, sent) {
    return localErase(this, ids, sent);
  }

  /** A stroke of ours is finished: it leaves the overlay once its echoes are back. */
  endLive(id) {
    this.ownLive.delete(id);
    this.live.delete(id);
    this._release(id);
    const p = this.pendingDraw.get(id);
    if (p) this._settle(id, p);
    this._settleToStatic(id);
  }

  /** Forget a local stroke entirely (a cancelled touch stroke that was never sent). */
  dropLocal(id) {
    this.ownLive.delete(id);
    this.live.delete(id);
    if (this.pendingDraw.delete(id)) {
      this._orderCache = null;
      this.finder.touch(id);
      this._changed(true);
    }
  }

  // ---- after a reconnect or a refusal (scene/recovery.js) --------------------------------

  /**
   * After the frame holding a resume (or a full sync) and its catch-up changes, or after a
   * rate_limited drop: what to send again. {draws: elements, erases: ids, updates: [{ids,
   * set}], orders: [{ids, to}]}. See scene/recovery.js.
   */
  afterCatchUp(fullSync = this._lastCatchUp === 'sync') {
    return afterCatchUp(this, fullSync);
  }

  /** Count a message that `afterCatchUp` asked for (or a buffered append) as sent, or not. */
  markResent(kind, id, sent) {
    markResent(this, kind, id, sent);
  }

  /**
   * An `error` frame for one of our messages. Returns {resend: true} for rate_limited (send
   * what is unconfirmed again later), else {dropped: ids, notice: text or ''}; the notice is
   * also queued for takeNotices(), so showing those is enough.
   */
  onRefused(err) {
    return onRefused(this, err || {});
  }

  /** Drops hidden ids the server no longer has (an erase of something already gone). */
  prunePendingErase() {
    for (const [id, e] of this.pendingErase) {
      if (!this.confirmed.has(id) && !this.pendingDraw.has(id) && !e.unsent) {
        this.pendingErase.delete(id);
      }
    }
  }

  /** True when every local change has been confirmed by the server. */
  get settled() {
    for (const [id, p] of this.pendingDraw) {
      if (p.outstanding > 0 || p.unsent || !this.confirmed.has(id)) return false;
    }
    for (const e of this.pendingErase.values()) if (e.outstanding > 0 || e.unsent) return false;
    for (const o of this.pendingOrder.values()) if (o.outstanding > 0 || o.unsent) return false;
    return true;
  }
}

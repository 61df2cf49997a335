// The board as this client sees it. Pure module: no DOM, no socket.
//
// `confirmed` is built only from server messages (sync/resume, then draw/append/erase/clear in
// seq order, this client's own echoes included), so it can never hold a duplicate. Local
// changes the server has not echoed yet sit on top as an overlay: `pendingDraw` (elements by id)
// and `pendingErase` (ids hidden before the server confirms). Each overlay entry counts the
// messages still in flight (`outstanding`) and whether it changed while offline (`unsent`); after
// a reconnect, `afterCatchUp` says exactly what to send again.

import { ELEMENT_TYPES } from './protocol.js';

/** A new remote path with this few points is a stroke being drawn: keep it on the overlay. */
const LIVE_START_POINTS = 4;

function canonical(el) {
  const keys = Object.keys(el).filter((k) => k !== 'userId').sort();
  return JSON.stringify(keys.map((k) => [k, el[k]]));
}

export class Scene {
  constructor() {
    /** id -> element, in board order (a replaced element keeps its place, as on the server). */
    this.confirmed = new Map();
    /** id -> {el, outstanding, unsent}: local elements not yet echoed. */
    this.pendingDraw = new Map();
    /** id -> {outstanding, unsent}: local erases not yet echoed. */
    this.pendingErase = new Map();
    /** ids of strokes still being drawn (drawn on the overlay), id -> last change time. */
    this.live = new Map();
    /** ids of this client's own strokes in progress (never expire on their own). */
    this.ownLive = new Set();
    this.seq = 0;
    this.userId = null;
    this.synced = false;
    this._full = true;
    this._top = [];
    this.version = 0;
  }

  // ---- what the renderer reads ------------------------------------------------------

  /** The element as displayed (local overlay first), or undefined. */
  get(id) {
    if (this.pendingErase.has(id)) return undefined;
    const p = this.pendingDraw.get(id);
    return p ? p.el : this.confirmed.get(id);
  }

  /** Displayed elements in board order: confirmed ones, then local ones not yet echoed. */
  * elements() {
    for (const [id, el] of this.confirmed) {
      if (this.pendingErase.has(id)) continue;
      const p = this.pendingDraw.get(id);
      yield p ? p.el : el;
    }
    for (const [id, p] of this.pendingDraw) {
      if (!this.confirmed.has(id) && !this.pendingErase.has(id)) yield p.el;
    }
  }

  get size() {
    let n = this.confirmed.size;
    for (const id of this.pendingDraw.keys()) if (!this.confirmed.has(id)) n += 1;
    for (const id of this.pendingErase.keys()) if (this.confirmed.has(id)) n -= 1;
    return n;
  }

  /** What changed since the last call: {full} or {top: [ids drawn on top of everything]}. */
  takeChanges() {
    const out = { full: this._full, top: this._full ? [] : this._top };
    this._full = false;
    this._top = [];
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

  // ---- server messages --------------------------------------------------------------

  applySync(data) {
    this.confirmed = new Map();
    for (const el of data.elements || []) {
      if (el && typeof el.id === 'string') this.confirmed.set(el.id, el);
    }
    this.seq = data.seq || 0;
    this.userId = data.userId ?? this.userId;
    this.synced = true;
    for (const id of this.live.keys()) if (!this.ownLive.has(id)) this.live.delete(id);
    this._changed(true);
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
    switch (msg.type) {
      case 'draw':
        this._serverDraw(data, mine, msg.userId !== undefined, now);
        break;
      case 'append':
        this._serverAppend(data, mine, now);
        break;
      case 'erase':
        this._serverErase(data.ids || []);
        break;
      case 'clear':
        this._serverClear();
        break;
      default:
        return false;
    }
    return true;
  }

  _serverDraw(el, mine, byPerson, now) {
    if (!el || typeof el.id !== 'string') return;
    const id = el.id;
    const existed = this.confirmed.has(id);
    this.confirmed.set(id, el);
    const pending = mine ? this.pendingDraw.get(id) : undefined;
    if (pending) {
      pending.outstanding = Math.max(0, pending.outstanding - 1);
      this._settlePending(id, pending);
      return;
    }
    if (this.pendingDraw.has(id) || this.pendingErase.has(id)) return; // hidden by the overlay
    if (!ELEMENT_TYPES.has(el.elementType)) return; // stored, never drawn
    if (this.live.has(id)) {
      this.live.set(id, now);
      this._changed(false);
    } else if (!existed && byPerson && el.elementType === 'path' &&
               el.points.length <= LIVE_START_POINTS) {
      this.live.set(id, now);
      this._changed(false);
    } else if (existed) {
      this._changed(true);
    } else {
      this._changed(false, id);
    }
  }

  _serverAppend(data, mine, now) {
    const el = this.confirmed.get(data.id);
    if (!el || !Array.isArray(el.points) || !Array.isArray(data.points)) return;
    // Copy so an element object held elsewhere (history, a pending entry) is never mutated.
    this.confirmed.set(data.id, { ...el, points: el.points.concat(data.points) });
    const pending = mine ? this.pendingDraw.get(data.id) : undefined;
    if (pending) {
      pending.outstanding = Math.max(0, pending.outstanding - 1);
      this._settlePending(data.id, pending);
      return;
    }
    if (this.pendingDraw.has(data.id) || this.pendingErase.has(data.id)) return;
    const wasLive = this.live.has(data.id);
    this.live.set(data.id, now);
    this._changed(!wasLive);
  }

  _serverErase(ids) {
    let visible = false;
    for (const id of ids) {
      if (this.confirmed.delete(id)) visible = true;
      this.pendingErase.delete(id);
      if (!this.ownLive.has(id) && this.pendingDraw.delete(id)) visible = true;
      if (!this.ownLive.has(id)) this.live.delete(id);
    }
    if (visible) this._changed(true);
  }

  _serverClear() {
    this.confirmed.clear();
    this.pendingErase.clear();
    for (const [id, p] of this.pendingDraw) {
      // A draw still in flight was sent after the clear in server order: it will survive.
      if (p.outstanding === 0 && !p.unsent && !this.ownLive.has(id)) this.pendingDraw.delete(id);
    }
    for (const id of this.live.keys()) if (!this.ownLive.has(id)) this.live.delete(id);
    this._changed(true);
  }

  _settlePending(id, pending) {
    if (pending.outstanding === 0 && !pending.unsent && !this.ownLive.has(id)) {
      this.pendingDraw.delete(id);
    }
  }

  /** Moves remote strokes that stopped growing onto the static layer. */
  expireLive(now, maxAge = 800) {
    for (const [id, t] of this.live) {
      if (this.ownLive.has(id) || now - t < maxAge) continue;
      this.live.delete(id);
      this._settleToStatic(id);
    }
  }

  _settleToStatic(id) {
    // Drawing on top is exact only when nothing else lies above the element in board order.
    let last;
    for (const el of this.elements()) last = el;
    if (last && last.id === id && !this._full) this._changed(false, id);
    else this._changed(true);
  }

  // ---- local changes (the caller sends the messages; `sent` says whether it could) --------

  localDraw(el, sent, live = false) {
    const p = this.pendingDraw.get(el.id) || { el, outstanding: 0, unsent: false };
    const wasShown = this.pendingDraw.has(el.id) || this.confirmed.has(el.id);
    p.el = el;
    if (sent) p.outstanding += 1;
    else p.unsent = true;
    this.pendingDraw.set(el.id, p);
    this.pendingErase.delete(el.id);
    if (live) {
      this.ownLive.add(el.id);
      this.live.set(el.id, 0);
      this._changed(wasShown);
    } else if (wasShown) {
      this._changed(true);
    } else {
      this._changed(false, el.id);
    }
  }

  localAppend(id, points, sent) {
    const p = this.pendingDraw.get(id);
    if (!p) return;
    p.el = { ...p.el, points: p.el.points.concat(points) };
    // `sent` undefined: the points are buffered and counted by markResent when they go out.
    if (sent === true) p.outstanding += 1;
    else if (sent === false) p.unsent = true;
    this._changed(false);
  }

  /** A stroke of ours is finished: it leaves the overlay. */
  endLive(id) {
    this.ownLive.delete(id);
    this.live.delete(id);
    const p = this.pendingDraw.get(id);
    if (p) this._settlePending(id, p);
    this._settleToStatic(id);
  }

  /** Forget a local stroke entirely (a cancelled touch stroke that was never sent). */
  dropLocal(id) {
    this.ownLive.delete(id);
    this.live.delete(id);
    if (this.pendingDraw.delete(id)) this._changed(true);
  }

  localErase(ids, sent) {
    for (const id of ids) {
      const e = this.pendingErase.get(id) || { outstanding: 0, unsent: false };
      if (sent) e.outstanding += 1;
      else e.unsent = true;
      this.pendingErase.set(id, e);
      // A local element never sent needs no erase on the wire; forget it.
      const p = this.pendingDraw.get(id);
      if (p && !this.confirmed.has(id) && p.outstanding === 0) this.pendingDraw.delete(id);
      else if (p && !this.confirmed.has(id)) p.erased = true;
    }
    this._changed(true);
  }

  /**
   * After the frame holding a resume (or a full sync) and its catch-up changes: returns the
   * elements to send again as full `draw`s and the ids to erase again. Appends are never
   * re-sent: a full draw replaces the element, so nothing is applied twice. Also used after
   * the server dropped messages (`rate_limited`): whatever has no echo yet is sent again.
   */
  afterCatchUp(fullSync = this._lastCatchUp === 'sync') {
    const draws = [];
    for (const [id, p] of this.pendingDraw) {
      const server = this.confirmed.get(id);
      let needed = p.unsent || p.outstanding > 0;
      if (fullSync) needed = !server || canonical(server) !== canonical(p.el);
      if (p.erased && !server) {
        this.pendingDraw.delete(id);
        continue;
      }
      if (needed) {
        p.outstanding = 0;
        p.unsent = false;
        draws.push(p.el);
      } else {
        p.outstanding = 0;
        p.unsent = false;
        this._settlePending(id, p);
      }
    }
    const erases = [];
    for (const [id, e] of this.pendingErase) {
      if (!this.confirmed.has(id) && !this.pendingDraw.has(id)) {
        this.pendingErase.delete(id);
      } else {
        e.outstanding = 0;
        e.unsent = false;
        erases.push(id);
      }
    }
    this._changed(true);
    return { draws, erases };
  }

  /** Count a message that `afterCatchUp` asked for as sent (or not). */
  markResent(kind, id, sent) {
    const entry = kind === 'draw' ? this.pendingDraw.get(id) : this.pendingErase.get(id);
    if (!entry) return;
    if (sent) entry.outstanding += 1;
    else entry.unsent = true;
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
    return true;
  }
}

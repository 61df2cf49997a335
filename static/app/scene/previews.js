// What other people are doing right now, never stored: each user's selection (drawn as an
// outline in their color) and their live drag preview (`transform`), which shows their
// selection moved or scaled before the `update` that ends the drag. Pure module.
//
// Cost: a transform message only stores the transform and marks the preview stale; the
// transformed elements are computed when the renderer asks (`previewed()`), at most once per
// frame and only for that user's selected elements, so a peer dragging 500 elements at 30
// messages a second costs one pass over those 500 per painted frame, never a walk of the board.

import { transformElement } from '../elements/index.js';
import { fullTransform } from '../elements/fields.js';

export class Previews {
  /** @param {(id: string) => object | undefined} get the displayed element */
  constructor(get) {
    this.getEl = get;
    /** userId -> {color, ids, t: transform or null, cache: elements or null, at} */
    this.users = new Map();
    /** ids some user is dragging: the static layer leaves them out. */
    this.hidden = new Set();
    /** Bumped on every change the overlay must show. */
    this.version = 0;
  }

  _user(userId) {
    let u = this.users.get(userId);
    if (!u) {
      u = { color: '#888888', ids: [], t: null, cache: null, at: -1 };
      this.users.set(userId, u);
    }
    return u;
  }

  /**
   * `select` from userId. Returns true when the set of hidden elements changed (the static
   * layer must repaint).
   */
  select(userId, data) {
    const u = this._user(userId);
    u.ids = Array.isArray(data?.ids) ? data.ids.filter((id) => typeof id === 'string') : [];
    if (typeof data?.color === 'string') u.color = data.color;
    this.version += 1;
    if (!u.ids.length && !u.t) this.users.delete(userId);
    return this.end(userId);
  }

  /** `transform` from userId: {} ends the preview. Returns true when `hidden` changed. */
  transform(userId, data) {
    if (!data || typeof data !== 'object' || !Object.keys(data).length) return this.end(userId);
    const u = this._user(userId);
    const starting = !u.t;
    u.t = fullTransform(data);
    u.cache = null;
    this.version += 1;
    if (starting) this._rebuildHidden();
    return starting && u.ids.length > 0;
  }

  /** Ends userId's preview (their `update` arrived, or `transform {}`). */
  end(userId) {
    const u = this.users.get(userId);
    if (!u || !u.t) return false;
    u.t = null;
    u.cache = null;
    this.version += 1;
    this._rebuildHidden();
    return u.ids.length > 0;
  }

  /** A user left: their selection and preview go. Returns true when `hidden` changed. */
  leave(userId) {
    const u = this.users.get(userId);
    if (!u) return false;
    this.users.delete(userId);
    this.version += 1;
    if (!u.t) return false;
    this._rebuildHidden();
    return true;
  }

  /** A new board (sync): the server sends everyone's selection again after it. */
  reset() {
    const had = this.hidden.size > 0;
    this.users.clear();
    this.hidden.clear();
    this.version += 1;
    return had;
  }

  _rebuildHidden() {
    this.hidden.clear();
    for (const u of this.users.values()) if (u.t) for (const id of u.ids) this.hidden.add(id);
  }

  /** {userId, color, ids}: each other user's selection, only ids still on the board. */
  * selections() {
    for (const [userId, u] of this.users) {
      const ids = u.ids.filter((id) => this.getEl(id) !== undefined);
      if (ids.length) yield { userId, color: u.color, ids };
    }
  }

  /**
   * Every element some user is dragging, as their preview shows it (an array; the same one
   * while nothing changed). `boardVersion` is the scene's version: a preview computed at the
   * same version is reused.
   */
  previewed(boardVersion) {
    let out = null;
    let parts = 0;
    for (const u of this.users.values()) {
      if (!u.t) continue;
      if (!u.cache || u.at !== boardVersion) {
        u.cache = [];
        u.at = boardVersion;
        for (const id of u.ids) {
          const el = this.getEl(id);
          if (!el) continue;
          try {
            u.cache.push(transformElement(el, u.t));
          } catch {
            // A malformed element from an old client is shown where it is, not moved.
          }
        }
      }
      parts += 1;
      out = parts === 1 ? u.cache : out.concat(u.cache);
    }
    return out || [];
  }

  get active() {
    for (const u of this.users.values()) if (u.t) return true;
    return false;
  }
}

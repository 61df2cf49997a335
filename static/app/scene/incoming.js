// Stored changes from the server applied to a Scene (../scene.js): draw, append, erase, clear,
// update and order, in seq order, this client's own echoes included. An echo of our own
// message settles the overlay entry it was for; a change that removes what the overlay still
// shows (an erase, a clear) drops that entry, so the page shows the server's board. Pure.

import { applyUpdate, typeOf } from '../elements/index.js';

/** A new remote stroke with this few points is one being drawn: keep it on the overlay. */
const LIVE_START_POINTS = 4;

function note(scene, id, at, content) {
  if (typeof at.seq !== 'number') return;
  scene._last.set(id, { seq: at.seq, userId: at.userId });
  if (content && !at.mine) scene._lastOther.set(id, at.seq);
}

export function serverDraw(scene, el, at, now) {
  if (!el || typeof el.id !== 'string') return;
  const id = el.id;
  const existed = scene.confirmed.has(id);
  scene.confirmed.set(id, el);
  scene._owned.delete(id);
  note(scene, id, at, true);
  if (!existed) scene._orderCache = null;
  const p = scene.pendingDraw.get(id);
  if (p && at.mine) {
    p.outstanding = Math.max(0, p.outstanding - 1);
    p.fullDraws = Math.max(0, p.fullDraws - 1);
    p.seen = true;
    scene._settle(id, p);
    return;
  }
  if (p || scene.pendingErase.has(id)) return; // hidden by the overlay
  scene.finder.touch(id);
  if (!typeOf(el)) return; // stored, never drawn
  if (scene.live.has(id)) {
    scene.live.set(id, now);
    scene._changed(false);
  } else if (!existed && at.userId !== undefined && Array.isArray(el.points) &&
             el.points.length <= LIVE_START_POINTS) {
    scene.live.set(id, now);
    scene._changed(false);
  } else if (existed) {
    scene._changed(true);
  } else {
    scene._changed(false, id);
  }
}

export function serverAppend(scene, data, at, now) {
  const id = data.id;
  const el = scene.confirmed.get(id);
  if (!el || !Array.isArray(el.points) || !Array.isArray(data.points)) return;
  const next = { ...el, points: grown(scene._owned.get(id), el.points, data.points) };
  scene._owned.set(id, next.points);
  scene.confirmed.set(id, next);
  note(scene, id, at, true);
  const p = scene.pendingDraw.get(id);
  if (p && at.mine) {
    p.outstanding = Math.max(0, p.outstanding - 1);
    scene._settle(id, p);
    return;
  }
  if (p || scene.pendingErase.has(id)) return;
  scene.finder.grow(id, next, data.points);
  const wasLive = scene.live.has(id);
  scene.live.set(id, now);
  scene._changed(!wasLive);
}

/** `points` plus `added`: pushed in place when `owned` is that very array, else copied once. */
export function grown(owned, points, added) {
  const arr = owned === points ? points : points.slice();
  for (const pt of added) arr.push(pt);
  return arr;
}

export function serverErase(scene, ids, at) {
  let visible = false;
  for (const id of ids) {
    if (scene.confirmed.delete(id)) visible = true;
    scene._last.delete(id);
    scene._lastOther.delete(id);
    scene._owned.delete(id);
    scene.pendingErase.delete(id);
    scene.pendingOrder.delete(id);
    const p = scene.pendingDraw.get(id);
    if (p && !survives(p)) {
      scene._dropEntry(id, at.mine ? null : 'erased');
      visible = true;
    }
    if (!scene.ownLive.has(id)) scene.live.delete(id);
    scene.finder.touch(id);
  }
  scene._orderCache = null;
  if (visible) scene._changed(true);
}

/** A local entry whose full draw is still to reach the server outlives an erase or clear. */
function survives(p) {
  return p.fullDraws > 0 || (p.unsent && !p.seen);
}

export function serverClear(scene) {
  for (const [id, p] of scene.pendingDraw) {
    if (survives(p)) {
      p.seen = false;
      p.base = undefined;
    } else {
      scene._dropEntry(id, 'cleared');
    }
  }
  scene.confirmed.clear();
  scene.pendingErase.clear();
  scene.pendingOrder.clear();
  for (const id of scene.live.keys()) if (!scene.ownLive.has(id)) scene.live.delete(id);
  scene._last.clear();
  scene._lastOther.clear();
  scene._owned.clear();
  scene.epoch += 1;
  scene._orderCache = null;
  scene.finder.invalidate();
  scene._changed(true);
}

export function serverUpdate(scene, data, at) {
  const change = { move: data.move, scale: data.scale, set: data.set };
  let visible = false;
  for (const id of Array.isArray(data.ids) ? data.ids : []) {
    const el = scene.confirmed.get(id);
    if (!el) continue;
    let next;
    try {
      next = applyUpdate(el, change);
    } catch {
      continue; // a type this page does not know keeps its old state
    }
    scene.confirmed.set(id, next);
    scene._owned.delete(id);
    note(scene, id, at, true);
    const p = scene.pendingDraw.get(id);
    if (p && at.mine) {
      p.outstanding = Math.max(0, p.outstanding - 1);
      visible = scene._settle(id, p) || visible;
    } else if (!p) {
      scene.finder.touch(id);
      visible = visible || !scene.pendingErase.has(id);
    }
  }
  // The server sends a user's update in place of (and so after) any preview still waiting.
  if (at.userId !== undefined && scene.previews.end(at.userId)) visible = true;
  if (visible) scene._changed(true);
  scene._overlay = true;
}

export function serverOrder(scene, data, at) {
  const ids = (Array.isArray(data.ids) ? data.ids : []).filter((id) => scene.confirmed.has(id));
  if (data.to === 'back') scene.confirmed.back(ids);
  else scene.confirmed.front(ids);
  for (const id of ids) {
    note(scene, id, at, false);
    const o = at.mine ? scene.pendingOrder.get(id) : undefined;
    if (o) {
      o.outstanding = Math.max(0, o.outstanding - 1);
      if (!o.outstanding && !o.unsent) scene.pendingOrder.delete(id);
    }
  }
  scene._orderCache = null;
  if (ids.length) scene._changed(true);
}

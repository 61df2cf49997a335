// Local changes on a Scene's overlay (../scene.js): shown at once, counted until the server
// echoes them. The caller sends the messages; `sent` says whether it could (false: the socket
// was down, and afterCatchUp sends it again). Pure.

import { applyUpdate } from '../elements/index.js';
import { LIMITS } from '../elements/fields.js';
import { grown } from './incoming.js';

/** Ranks of local elements and orders not yet echoed: above (or below) every confirmed one. */
const PENDING_BASE = 2 ** 48;
/** How many recent local messages are remembered (by their first id) to undo a refusal. */
const SENT_MEMORY = 512;

/** The pending entry of id, made on first use over what the server has (if anything). */
function entryOf(scene, id) {
  let p = scene.pendingDraw.get(id);
  if (!p) {
    const base = scene.confirmed.get(id);
    scene._counter += 1;
    p = {
      el: base, outstanding: 0, unsent: false, fullDraws: 0, seen: base !== undefined,
      base, baseSeq: scene.seq, rank: PENDING_BASE + scene._counter, ownArr: null,
      erased: false, resending: false,
    };
    scene.pendingDraw.set(id, p);
    scene._orderCache = null;
  }
  return p;
}

function count(entry, sent, fullDraw) {
  if (sent) {
    entry.outstanding += 1;
    if (fullDraw) entry.fullDraws += 1;
  } else {
    entry.unsent = true;
  }
}

/** Remembers which ids a message sent now carried, by its first id (refusals name that). */
function remember(scene, ids) {
  for (let i = 0; i < ids.length; i += LIMITS.MAX_IDS) {
    const chunk = ids.slice(i, i + LIMITS.MAX_IDS);
    const known = scene._sent.get(chunk[0]);
    if (known) for (const id of chunk) known.add(id);
    else scene._sent.set(chunk[0], new Set(chunk));
  }
  while (scene._sent.size > SENT_MEMORY) scene._sent.delete(scene._sent.keys().next().value);
}

export function localDraw(scene, el, sent, live = false) {
  const wasShown = scene.pendingDraw.has(el.id) || scene.confirmed.has(el.id);
  const p = entryOf(scene, el.id);
  p.el = el;
  p.ownArr = null;
  p.baseSeq = scene.seq;
  count(p, sent, true);
  scene.pendingErase.delete(el.id);
  scene._gone.delete(el.id);
  remember(scene, [el.id]);
  scene.finder.touch(el.id);
  if (live) {
    scene.ownLive.add(el.id);
    scene.live.set(el.id, 0);
    scene._changed(wasShown);
  } else if (wasShown) {
    scene._changed(true);
  } else {
    scene._changed(false, el.id);
  }
}

/**
 * Points added to an own stroke being drawn. False when the stroke is gone (erased or
 * cleared by someone else meanwhile): the caller must send nothing for it.
 */
export function localAppend(scene, id, points, sent) {
  const p = scene.pendingDraw.get(id);
  if (!p || !p.el || !Array.isArray(p.el.points) || scene._gone.has(id)) return false;
  const arr = grown(p.ownArr, p.el.points, points);
  p.ownArr = arr;
  p.el = { ...p.el, points: arr };
  // `sent` undefined: the points are buffered and counted by markResent when they go out.
  if (sent === true) p.outstanding += 1;
  else if (sent === false) p.unsent = true;
  scene.finder.grow(id, p.el, points);
  scene._changed(false);
  return true;
}

/**
 * A move, resize or restyle of the displayed elements `ids`; change is {move?, scale?, set?}
 * as on the wire. Returns [[before, after], ...] for the elements it changed.
 */
export function localUpdate(scene, ids, change, sent) {
  const out = [];
  for (const id of new Set(ids)) {
    const el = scene.get(id);
    if (!el) continue;
    let next;
    try {
      next = applyUpdate(el, change);
    } catch {
      continue;
    }
    scene._release(id);
    const p = entryOf(scene, id);
    p.el = next;
    p.baseSeq = scene.seq;
    count(p, sent, false);
    scene.finder.touch(id);
    out.push([el, next]);
  }
  if (out.length) {
    remember(scene, out.map(([, after]) => after.id));
    scene._changed(true);
  }
  return out;
}

/** Brings ids to the front or sends them to the back. Returns the ids, in board order. */
export function localOrder(scene, ids, to, sent) {
  const list = [...new Set(ids)].filter((id) => scene.get(id));
  list.sort((a, b) => scene.rankOf(a) - scene.rankOf(b));
  const place = (id) => {
    const o = scene.pendingOrder.get(id) || { rank: 0, to, outstanding: 0, unsent: false };
    scene._counter += 1;
    o.rank = to === 'back' ? -(PENDING_BASE + scene._counter) : PENDING_BASE + scene._counter;
    o.to = to;
    if (sent) o.outstanding += 1;
    else o.unsent = true;
    scene.pendingOrder.set(id, o);
  };
  // Back: the first of the list must end lowest, so it takes the last (lowest) rank.
  if (to === 'back') [...list].reverse().forEach(place);
  else list.forEach(place);
  if (list.length) {
    remember(scene, list);
    scene._orderCache = null;
    scene._changed(true);
  }
  return list;
}

/** Hides ids at once; returns the elements that were shown (for undo). */
export function localErase(scene, ids, sent) {
  const removed = [];
  for (const id of new Set(ids)) {
    const shown = scene.get(id);
    if (shown) {
      scene._release(id);
      removed.push(shown);
    }
    const e = scene.pendingErase.get(id) || { outstanding: 0, unsent: false };
    if (sent) e.outstanding += 1;
    else e.unsent = true;
    scene.pendingErase.set(id, e);
    // A local element never sent needs no erase on the wire; forget it.
    const p = scene.pendingDraw.get(id);
    if (p && !scene.confirmed.has(id) && p.outstanding === 0) scene.pendingDraw.delete(id);
    else if (p && !scene.confirmed.has(id)) p.erased = true;
    scene.finder.touch(id);
  }
  remember(scene, [...new Set(ids)]);
  scene._orderCache = null;
  scene._changed(true);
  return removed;
}

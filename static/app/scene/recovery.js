// How the scene converges with the server after something went missing: a reconnect (resume
// or full sync), a rate_limited drop, or a refusal. Functions over a Scene (../scene.js); pure.
//
// Re-sending is always a full state, never an append or a relative move, so a message that did
// reach the server after all is harmless when it arrives twice. A local change the server has
// since overtaken with someone else's newer change to the same element is dropped instead of
// re-sent: the server's board wins, and every screen ends up the same.

import { orderMsg, updateMsg } from '../protocol.js';
import { LIMITS } from '../elements/fields.js';
import { sameElement } from './compare.js';

/** Refusals after which the refused message's local changes are dropped. */
const DROP_CODES = new Set([
  'not_found', 'bad_element', 'board_full', 'forbidden', 'read_only', 'storage_error',
  'internal', 'bad_message', 'unknown_type',
]);

const REFUSAL_NOTICES = {
  not_found: 'That element is gone: someone erased it or cleared the board.',
  bad_element: 'The server refused that change.',
  board_full: 'The board is full: erase or clear something first.',
  forbidden: 'You may not make that change on this board.',
  read_only: 'View only: the teacher has locked the board or made you view only.',
  storage_error: 'The server could not save that change.',
};

/**
 * True when someone else changed id on the server after the page made its own pending change
 * (entry p), so re-sending the page's version would overwrite theirs.
 */
function theirsIsNewer(scene, id, p, server, fullSync) {
  const other = scene._lastOther.get(id);
  if (other !== undefined && other > p.baseSeq) return true;
  // A full sync says nothing about who changed what: the server's copy is someone else's when
  // it is neither what the page started from nor what the page made of it.
  if (fullSync && p.base) return !sameElement(server, p.base) && !sameElement(server, p.el);
  return false;
}

/** An update `set` that makes `server`'s element equal to `el` (keeps its creator's userId). */
function setAll(el, server) {
  const set = {};
  for (const [k, v] of Object.entries(el)) {
    if (k !== 'id' && k !== 'elementType' && k !== 'userId') set[k] = v;
  }
  for (const k of Object.keys(server)) {
    if (!(k in set) && k !== 'id' && k !== 'elementType' && k !== 'userId') set[k] = null;
  }
  return set;
}

/**
 * What to send again: {draws: elements (send each as a draw, then markResent('draw', id,
 * sent)), erases: ids (markResent('erase', ...)), updates: update messages, orders: order
 * messages (send them as they are)}.
 */
export function afterCatchUp(scene, fullSync) {
  const draws = [];
  const updates = [];
  for (const [id, p] of scene.pendingDraw) {
    const server = scene.confirmed.get(id);
    if (p.erased && !server) {
      scene.pendingDraw.delete(id);
      continue;
    }
    const needed = fullSync ? !server || !sameElement(server, p.el) : p.unsent || p.outstanding > 0;
    p.outstanding = 0;
    p.fullDraws = 0;
    p.unsent = false;
    const overtaken = server ? theirsIsNewer(scene, id, p, server, fullSync) : p.seen;
    if (needed && overtaken) {
      // Erased, or changed by someone else, while our change was lost: the server's wins.
      scene._dropEntry(id, server ? null : 'erased');
      continue;
    }
    if (!needed) {
      scene._settle(id, p);
      continue;
    }
    p.resending = true;
    p.baseSeq = scene.seq;
    // Someone else's element is re-sent as an update, which keeps its creator (a draw would
    // make it ours, and its author could no longer extend it).
    let update = null;
    if (server && server.userId !== undefined && server.userId !== scene.userId) {
      try {
        update = updateMsg([id], { set: setAll(p.el, server) });
      } catch {
        update = null; // not expressible as a set: a draw it is
      }
    }
    if (update) updates.push(update);
    else draws.push(p.el);
  }
  const erases = [];
  for (const [id, e] of scene.pendingErase) {
    if (!scene.confirmed.has(id) && !scene.pendingDraw.has(id)) {
      scene.pendingErase.delete(id);
    } else {
      e.outstanding = 0;
      e.unsent = false;
      erases.push(id);
    }
  }
  // A lost order is sent again as a message and its overlay dropped: the echo (if it comes)
  // reorders the confirmed board, and if it never goes out the page shows the server's order.
  const orders = [];
  const byTo = { front: [], back: [] };
  for (const [id, o] of scene.pendingOrder) {
    if (scene.get(id) && (o.unsent || o.outstanding > 0)) {
      byTo[o.to === 'back' ? 'back' : 'front'].push(id);
    }
  }
  const rank = (a, b) => scene.rankOf(a) - scene.rankOf(b);
  for (const to of ['back', 'front']) {
    const list = byTo[to].sort(rank);
    for (let i = 0; i < list.length; i += LIMITS.MAX_IDS) {
      orders.push(orderMsg(list.slice(i, i + LIMITS.MAX_IDS), to));
    }
  }
  scene.pendingOrder.clear();
  scene._orderCache = null;
  scene._changed(true);
  return { draws, erases, updates, orders };
}

export function markResent(scene, kind, id, sent) {
  let entry;
  if (kind === 'erase') entry = scene.pendingErase.get(id);
  else if (kind === 'order') entry = scene.pendingOrder.get(id);
  else entry = scene.pendingDraw.get(id);
  if (!entry) return;
  if (sent) {
    entry.outstanding += 1;
    // Only a full draw (or update) that afterCatchUp asked for brings the element back after a
    // clear; the buffered appends main.js also counts here do not.
    if (entry.resending && kind !== 'append') entry.fullDraws += 1;
  } else {
    entry.unsent = true;
  }
  if (kind !== 'append') entry.resending = false;
}

/**
 * An `error` frame for one of our messages. rate_limited: {resend: true} (send what is
 * unconfirmed again later). Otherwise the refused message's overlay entries are dropped (the
 * page shows the server's board) and {dropped: ids, notice} is returned; the notice is also
 * queued for takeNotices().
 */
export function onRefused(scene, err) {
  if (err.code === 'rate_limited') return { resend: true, dropped: [], notice: '' };
  if (!DROP_CODES.has(err.code) || typeof err.ref !== 'string') {
    return { dropped: [], notice: err.message || '' };
  }
  const ids = scene._sent.get(err.ref) || new Set([err.ref]);
  scene._sent.delete(err.ref);
  const dropped = [];
  const notice = REFUSAL_NOTICES[err.code] || err.message || `Server: ${err.code}`;
  let strokeEnded = false;
  for (const id of ids) {
    let had = false;
    if (scene.pendingDraw.has(id)) {
      strokeEnded = strokeEnded || scene.ownLive.has(id);
      scene._dropEntry(id, 'refused', notice);
      had = true;
    }
    if (scene.pendingErase.delete(id)) had = true;
    if (scene.pendingOrder.delete(id)) had = true;
    if (had) {
      dropped.push(id);
      scene.finder.touch(id);
    }
  }
  // An append to a stroke the page already knows is gone needs no second notice.
  if (err.code === 'not_found' && !dropped.length) return { dropped, notice: '' };
  scene._orderCache = null;
  scene._changed(true);
  // Said once, through takeNotices, like a stroke removed while drawn (a stroke that ended
  // here already queued its notice). The returned text is the same, for callers that show it
  // themselves instead.
  if (!strokeEnded) {
    scene._notices.push({ kind: 'refused', code: err.code, ids: dropped, message: notice,
      toString: () => notice });
  }
  return { dropped, notice };
}

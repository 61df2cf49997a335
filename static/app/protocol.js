// Message constructors and the limits the server enforces. The limits and the element schema
// are the element registry's (elements/), which a test holds equal to the server's
// (lanboard/elements.py). Pure module: no DOM, no socket. Everything here is checked before it
// is sent, so the server's `error` frames are for bugs, not for ordinary use.

import { checkElement, fieldSpec, LIMITS, TYPES, wireElement } from './elements/index.js';
import {
  checkPoint, isColor, isCoord, isElementId, KINDS, MAX_SCALE, MIN_SCALE,
} from './elements/fields.js';

export { checkElement, checkPoint, isColor, LIMITS, wireElement };

export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The element types this page knows (the registry's). */
export const ELEMENT_TYPES = new Set(TYPES.keys());
// Same set the server strips: C0, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const ORDER_TO = new Set(['front', 'back']);

/** Clamp a number into the coordinate range and round it to 0.01 to keep frames small. */
export function coord(v) {
  const c = Math.max(-LIMITS.MAX_COORD, Math.min(LIMITS.MAX_COORD, v));
  return Math.round(c * 100) / 100;
}

export function clampWidth(w) {
  return Math.max(LIMITS.MIN_STROKE_WIDTH, Math.min(LIMITS.MAX_STROKE_WIDTH, w));
}

export function clampFontSize(s) {
  return Math.max(LIMITS.MIN_FONT_SIZE, Math.min(LIMITS.MAX_FONT_SIZE, s));
}

/** The name as the server will see it: no control characters, at most 32 characters. */
export function cleanUserId(raw) {
  return String(raw ?? '').replace(CONTROL, '').trim().slice(0, LIMITS.MAX_USER_ID_CHARS);
}

export function isRoomId(id) {
  return typeof id === 'string' && ROOM_ID_PATTERN.test(id);
}

/** A readable random room code such as "blue-otter-42". */
export function randomRoomCode(random = Math.random) {
  const a = ['red', 'blue', 'green', 'amber', 'violet', 'teal', 'coral', 'olive', 'silver', 'gold',
    'mint', 'plum', 'navy', 'rose', 'sky', 'sand'];
  const b = ['otter', 'falcon', 'maple', 'comet', 'river', 'pebble', 'lynx', 'harbor', 'cedar',
    'meadow', 'orbit', 'panda', 'willow', 'badger', 'quartz', 'tiger'];
  const pick = (list) => list[Math.floor(random() * list.length)];
  return `${pick(a)}-${pick(b)}-${Math.floor(random() * 90) + 10}`;
}

/** Turns what a person typed into a valid room id, or '' when nothing usable is left. */
export function slugRoomId(text) {
  return String(text ?? '').trim().replace(/\s+/g, '-').replace(/[^A-Za-z0-9_-]/g, '')
    .slice(0, 64);
}

/**
 * Makes element ids `${userId}_${random}_${counter}`, at most 64 characters. The user part is
 * reduced to safe characters and shortened so the whole id always fits.
 */
export function idMaker(userId, random = Math.random) {
  const user = String(userId).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'u';
  const session = Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  let counter = 0;
  return () => {
    counter += 1;
    return `${user}_${session}_${counter.toString(36)}`.slice(0, LIMITS.MAX_ID_CHARS);
  };
}

function envelope(type, data) {
  return data === undefined ? { type } : { type, data };
}

export function drawMsg(el) {
  const err = checkElement(el);
  if (err) throw new Error(`element ${el && el.id}: ${err}`);
  return envelope('draw', wireElement(el));
}

export function appendMsg(id, points) {
  return envelope('append', { id, points });
}

/** `ids` in runs of at most MAX_IDS (the most one message may carry). */
function chunks(ids) {
  const out = [];
  for (let i = 0; i < ids.length; i += LIMITS.MAX_IDS) out.push(ids.slice(i, i + LIMITS.MAX_IDS));
  return out;
}

function checkIds(ids, min = 1) {
  if (!Array.isArray(ids) || ids.length < min || ids.length > LIMITS.MAX_IDS) {
    throw new Error(`${min}-${LIMITS.MAX_IDS} ids expected, got ${ids?.length}`);
  }
  for (const id of ids) if (!isElementId(id)) throw new Error(`bad element id ${id}`);
}

/** One or more erase messages: the server takes at most 2,000 ids per message. */
export function eraseMsgs(ids) {
  return chunks(ids).map((part) => envelope('erase', { ids: part }));
}

function scaleOk(s) {
  return typeof s === 'number' && Number.isFinite(s) && Math.abs(s) >= MIN_SCALE &&
    Math.abs(s) <= MAX_SCALE;
}

// The server takes a move, a scale's origin and a drag preview's numbers within +/-MAX_COORD.
const finite = isCoord;

/** Throws unless `set` names only fields some type has, each with a value of its kind. */
function checkSet(set) {
  if (!set || typeof set !== 'object' || Array.isArray(set) || !Object.keys(set).length) {
    throw new Error('set: an object with at least one field');
  }
  for (const [name, v] of Object.entries(set)) {
    const spec = fieldSpec(name);
    if (!spec) throw new Error(`set: no element type has a field ${name}`);
    if (v === null ? spec.required : !KINDS[spec.kind].check(v)) {
      throw new Error(`set: bad ${name}`);
    }
  }
}

/**
 * An `update {ids, move?, scale?, set?}`: move [dx, dy], scale [sx, sy, ox, oy], set {field:
 * value or null}. The numbers go out as given (not rounded): the page computes its own result
 * with elements/index.js applyUpdate from the same numbers, and must match the server's.
 * Throws on more than 2,000 ids (see updateMsgs) or a change the server would refuse.
 */
export function updateMsg(ids, { move, scale, set } = {}) {
  checkIds(ids);
  const data = { ids };
  if (move !== undefined) {
    if (!Array.isArray(move) || move.length !== 2 || !move.every(finite)) {
      throw new Error('move: [dx, dy]');
    }
    data.move = move;
  }
  if (scale !== undefined) {
    if (!Array.isArray(scale) || scale.length !== 4 || !scaleOk(scale[0]) ||
        !scaleOk(scale[1]) || !finite(scale[2]) || !finite(scale[3])) {
      throw new Error('scale: [sx, sy, ox, oy] with |sx|, |sy| in 0.001-1000');
    }
    data.scale = scale;
  }
  if (set !== undefined) {
    checkSet(set);
    data.set = set;
  }
  if (!data.move && !data.scale && !data.set) throw new Error('update: move, scale or set');
  return envelope('update', data);
}

/** The same change to any number of ids, as one update per 2,000 ids. */
export function updateMsgs(ids, change) {
  return chunks(ids).map((part) => updateMsg(part, change));
}

/** `order {ids, to}`: to 'front' (end of board order) or 'back' (its start). */
export function orderMsg(ids, to) {
  checkIds(ids);
  if (!ORDER_TO.has(to)) throw new Error(`order: to is 'front' or 'back', got ${to}`);
  return envelope('order', { ids, to });
}

/**
 * `select {ids}`: what this user has selected, 0-2,000 ids. A larger selection is announced
 * by its first 2,000 (the outline peers see is a courtesy; changes carry their own ids).
 */
export function selectMsg(ids) {
  const list = ids.length > LIMITS.MAX_IDS ? ids.slice(0, LIMITS.MAX_IDS) : [...ids];
  checkIds(list, 0);
  return envelope('select', { ids: list });
}

/**
 * `transform {dx, dy, sx?, sy?, ox?, oy?}`: a live drag of this user's selection, relative to
 * where it was when the drag began. Scale fields are left out while the drag only moves.
 * `transformMsg(null)` (or {}) ends the preview.
 */
export function transformMsg(t) {
  if (!t || Object.keys(t).length === 0) return envelope('transform', {});
  const data = { dx: t.dx ?? 0, dy: t.dy ?? 0 };
  if (!finite(data.dx) || !finite(data.dy)) throw new Error('transform: dx, dy within +/-1e6');
  const sx = t.sx ?? 1;
  const sy = t.sy ?? 1;
  if (sx !== 1 || sy !== 1) {
    if (!scaleOk(sx) || !scaleOk(sy)) throw new Error('transform: |sx|, |sy| in 0.001-1000');
    Object.assign(data, { sx, sy, ox: t.ox ?? 0, oy: t.oy ?? 0 });
    if (!finite(data.ox) || !finite(data.oy)) throw new Error('transform: ox, oy within +/-1e6');
  }
  return envelope('transform', data);
}

export function clearMsg() {
  return envelope('clear', {});
}

export function cursorMsg(x, y) {
  return envelope('cursor', { x: coord(x), y: coord(y) });
}

export function pingMsg() {
  return envelope('ping');
}

/** The WebSocket URL for a room, relative to the page's own origin. */
export function socketUrl(location, roomId, userId, since) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ userId, v: '2' });
  if (since !== null && since !== undefined) q.set('since', String(since));
  return `${scheme}//${location.host}/ws/${encodeURIComponent(roomId)}?${q}`;
}

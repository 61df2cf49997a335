// Message constructors and the limits the server enforces (mirrors lanboard/limits.py).
// Pure module: no DOM, no socket. Everything here is checked before it is sent, so the
// server's `error` frames are for bugs, not for ordinary use.

export const LIMITS = Object.freeze({
  MAX_COORD: 1e6,
  MIN_STROKE_WIDTH: 0.5,
  MAX_STROKE_WIDTH: 200,
  MIN_FONT_SIZE: 4,
  MAX_FONT_SIZE: 400,
  MAX_TEXT_CHARS: 4000,
  MAX_PATH_POINTS: 20000,
  MAX_ID_CHARS: 64,
  MAX_ERASE_IDS: 2000,
  MAX_USER_ID_CHARS: 32,
});

export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const ELEMENT_TYPES = new Set(['line', 'arrow', 'rect', 'ellipse', 'path', 'text']);
const COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
// Same set the server strips: C0, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

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

export function isColor(c) {
  return typeof c === 'string' && COLOR.test(c);
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

/** Checks an element against the server's schema; returns an error string or ''. */
export function checkElement(el) {
  if (!el || typeof el !== 'object') return 'not an object';
  if (typeof el.id !== 'string' || el.id.length < 1 || el.id.length > LIMITS.MAX_ID_CHARS) {
    return 'bad id';
  }
  if (!ELEMENT_TYPES.has(el.elementType)) return 'unknown elementType';
  if (!isColor(el.strokeColor)) return 'bad strokeColor';
  const num = (v, lo = -LIMITS.MAX_COORD, hi = LIMITS.MAX_COORD) =>
    typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
  if (!num(el.strokeWidth, LIMITS.MIN_STROKE_WIDTH, LIMITS.MAX_STROKE_WIDTH)) {
    return 'bad strokeWidth';
  }
  switch (el.elementType) {
    case 'line':
    case 'arrow':
      return ['x1', 'y1', 'x2', 'y2'].every((k) => num(el[k])) ? '' : 'bad coordinates';
    case 'rect':
    case 'ellipse':
      if (el.fillColor !== undefined && !isColor(el.fillColor)) return 'bad fillColor';
      return ['x', 'y', 'width', 'height'].every((k) => num(el[k])) ? '' : 'bad coordinates';
    case 'path':
      if (!Array.isArray(el.points) || el.points.length < 1 ||
          el.points.length > LIMITS.MAX_PATH_POINTS) return 'bad points';
      return el.points.every((p) => checkPoint(p)) ? '' : 'bad point';
    case 'text':
      if (typeof el.text !== 'string' || el.text.length > LIMITS.MAX_TEXT_CHARS) return 'bad text';
      if (!num(el.fontSize, LIMITS.MIN_FONT_SIZE, LIMITS.MAX_FONT_SIZE)) return 'bad fontSize';
      return num(el.x) && num(el.y) ? '' : 'bad coordinates';
    default:
      return 'unknown elementType';
  }
}

export function checkPoint(p) {
  if (!Array.isArray(p) || (p.length !== 2 && p.length !== 3)) return false;
  const ok = (v, lo, hi) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
  return ok(p[0], -LIMITS.MAX_COORD, LIMITS.MAX_COORD) &&
    ok(p[1], -LIMITS.MAX_COORD, LIMITS.MAX_COORD) && (p.length === 2 || ok(p[2], 0, 1));
}

/** The element as sent: only the fields the server accepts for its type. */
export function wireElement(el) {
  const keys = {
    line: ['x1', 'y1', 'x2', 'y2'],
    arrow: ['x1', 'y1', 'x2', 'y2'],
    rect: ['x', 'y', 'width', 'height', 'fillColor'],
    ellipse: ['x', 'y', 'width', 'height', 'fillColor'],
    path: ['points'],
    text: ['x', 'y', 'text', 'fontSize'],
  }[el.elementType] ?? [];
  const out = { id: el.id, elementType: el.elementType, strokeColor: el.strokeColor,
    strokeWidth: el.strokeWidth };
  for (const k of keys) if (el[k] !== undefined) out[k] = el[k];
  return out;
}

export function drawMsg(el) {
  const err = checkElement(el);
  if (err) throw new Error(`element ${el && el.id}: ${err}`);
  return envelope('draw', wireElement(el));
}

export function appendMsg(id, points) {
  return envelope('append', { id, points });
}

/** One or more erase messages: the server takes at most 2,000 ids per message. */
export function eraseMsgs(ids) {
  const out = [];
  for (let i = 0; i < ids.length; i += LIMITS.MAX_ERASE_IDS) {
    out.push(envelope('erase', { ids: ids.slice(i, i + LIMITS.MAX_ERASE_IDS) }));
  }
  return out;
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

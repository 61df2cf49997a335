// The field kinds every element type is built from, the one limits table the page enforces
// (it must equal lanboard/limits.py; tests/test_schema_parity.py holds the two in step), and the
// arithmetic shared by every type: validation, `set`, and move/scale transforms.
// Pure module: no DOM.

/** The limits the server enforces, exactly as `schemaJSON().limits` reports them. */
export const LIMITS = Object.freeze({
  MAX_COORD: 1000000,
  MIN_STROKE_WIDTH: 0.5,
  MAX_STROKE_WIDTH: 200,
  MIN_FONT_SIZE: 4,
  MAX_FONT_SIZE: 400,
  MAX_TEXT_CHARS: 4000,
  MAX_PATH_POINTS: 20000,
  MAX_ID_CHARS: 64,
  MAX_IDS: 2000,
  MAX_USER_ID_CHARS: 32,
  MAX_PAGES: 200,
});

/** Smallest and largest size of a scale factor in an `update` or `transform`. */
export const MIN_SCALE = 0.001;
export const MAX_SCALE = 1000;

const ASSET = /^[0-9a-f]{64}$/;
const COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
// A UTF-16 surrogate that is not half of a pair: the server cannot encode it and refuses it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Characters XML 1.0 cannot carry at all; the server refuses them in text, as its SVG export
// could not hold them.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

export function isColor(c) {
  return typeof c === 'string' && COLOR.test(c);
}

/** A finite number in [lo, hi]; booleans are not numbers, on the server either. */
export function inRange(v, lo, hi) {
  return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
}

export function isCoord(v) {
  return inRange(v, -LIMITS.MAX_COORD, LIMITS.MAX_COORD);
}

/** One point: [x, y] or [x, y, pressure 0-1]. */
export function checkPoint(p) {
  if (!Array.isArray(p) || (p.length !== 2 && p.length !== 3)) return false;
  return isCoord(p[0]) && isCoord(p[1]) && (p.length === 2 || inRange(p[2], 0, 1));
}

export function checkPoints(points) {
  if (!Array.isArray(points) || points.length < 1 || points.length > LIMITS.MAX_PATH_POINTS) {
    return false;
  }
  for (const p of points) if (!checkPoint(p)) return false;
  return true;
}

export function isElementId(v) {
  return typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.MAX_ID_CHARS &&
    !LONE_SURROGATE.test(v);
}

/**
 * Field kinds: what a value of the kind must be, and how a transform treats it. `axis` says which
 * scale factor applies ('x' or 'y' coordinates move and scale about the origin, 'w'/'h' sizes only
 * scale), so each element type's transform is just its field table.
 */
export const KINDS = Object.freeze({
  x: { check: isCoord },
  y: { check: isCoord },
  w: { check: isCoord },
  h: { check: isCoord },
  points: { check: checkPoints },
  font: { check: (v) => inRange(v, LIMITS.MIN_FONT_SIZE, LIMITS.MAX_FONT_SIZE) },
  color: { check: isColor },
  width: { check: (v) => inRange(v, LIMITS.MIN_STROKE_WIDTH, LIMITS.MAX_STROKE_WIDTH) },
  text: { check: (v) => typeof v === 'string' && v.length <= LIMITS.MAX_TEXT_CHARS &&
    !LONE_SURROGATE.test(v) && !NOT_XML.test(v) },
  // Issue 15: an image's asset (the SHA-256 of its bytes, lowercase hex), a board page
  // (absent is page 1) and a yes/no field (`locked`; absent is false).
  asset: { check: (v) => typeof v === 'string' && ASSET.test(v) },
  page: { check: (v) => Number.isInteger(v) && v >= 1 && v <= LIMITS.MAX_PAGES },
  flag: { check: (v) => typeof v === 'boolean' },
});

/**
 * What an optional field's absence means, per kind (lanboard/fields.py DEFAULTS): the server
 * leaves a field equal to it out of the element, and so does the page.
 */
export const DEFAULTS = Object.freeze({ page: 1, flag: false });

function isDefault(kind, v) {
  return Object.hasOwn(DEFAULTS, kind) && DEFAULTS[kind] === v;
}

/** A field of `kind`; required unless `{required: false}`. */
export function field(kind, required = true) {
  if (!KINDS[kind]) throw new Error(`unknown field kind ${kind}`);
  return Object.freeze({ kind, required });
}

/** The fields every element type may carry besides id and elementType (issue 15). */
export const COMMON_FIELDS = Object.freeze({
  page: field('page', false),
  locked: field('flag', false),
});

/** The stroke every drawn type has; an image has none. */
export const STROKE_FIELDS = Object.freeze({
  strokeColor: field('color'),
  strokeWidth: field('width'),
});

/** An element type's field table: the stroke (unless `stroke: false`), its own, the common. */
export function fieldTable(own, { stroke = true } = {}) {
  return Object.freeze({ ...(stroke ? STROKE_FIELDS : {}), ...own, ...COMMON_FIELDS });
}

/**
 * '' when every field of `fields` in `el` is as the server requires, else a short error.
 * Fields the table does not name are not looked at: `wireElement` drops them before sending.
 */
export function checkFields(fields, el) {
  for (const [name, f] of Object.entries(fields)) {
    const v = el[name];
    if (v === undefined || v === null) {
      if (f.required) return `missing ${name}`;
      continue;
    }
    if (!KINDS[f.kind].check(v)) return `bad ${name}`;
  }
  return '';
}

/** Only the fields the server accepts: id, elementType and the table's fields that are set. */
export function wireFields(fields, el) {
  const out = { id: el.id, elementType: el.elementType };
  for (const [name, f] of Object.entries(fields)) {
    const v = el[name];
    if (v !== undefined && v !== null && !isDefault(f.kind, v)) out[name] = v;
  }
  return out;
}

/**
 * The `set` of an update applied to one element: given fields replace the element's, fields its
 * type lacks are skipped, and null removes the field (the server refuses the result if the
 * field was required). Returns a new element; `el` is not changed.
 */
export function setFields(fields, el, set) {
  const out = { ...el };
  for (const [name, v] of Object.entries(set || {})) {
    if (!Object.prototype.hasOwnProperty.call(fields, name)) continue;
    if (v === null || isDefault(fields[name].kind, v)) delete out[name];
    else out[name] = v;
  }
  return out;
}

/** The full transform with its defaults filled in: {dx, dy, sx, sy, ox, oy}. */
export function fullTransform(t) {
  return {
    dx: t?.dx ?? 0, dy: t?.dy ?? 0, sx: t?.sx ?? 1, sy: t?.sy ?? 1, ox: t?.ox ?? 0,
    oy: t?.oy ?? 0,
  };
}

/**
 * Moves and scales every field of `el` by its kind. The order of operations is the server's
 * (lanboard/elements.py), scale and then move, so both compute bit-identical doubles:
 *   x -> (ox + (x - ox) * sx) + dx, w -> w * sx, fontSize -> fontSize * |sy|.
 * strokeWidth is never scaled. Returns a new element.
 */
export function transformFields(fields, el, t) {
  const { dx, dy, sx, sy, ox, oy } = fullTransform(t);
  const out = { ...el };
  for (const [name, f] of Object.entries(fields)) {
    const v = el[name];
    if (v === undefined || v === null) continue;
    switch (f.kind) {
      case 'x': out[name] = (ox + (v - ox) * sx) + dx; break;
      case 'y': out[name] = (oy + (v - oy) * sy) + dy; break;
      case 'w': out[name] = v * sx; break;
      case 'h': out[name] = v * sy; break;
      case 'font': out[name] = v * Math.abs(sy); break;
      case 'points': out[name] = transformPoints(v, dx, dy, sx, sy, ox, oy); break;
      default: break;
    }
  }
  return out;
}

function transformPoints(points, dx, dy, sx, sy, ox, oy) {
  const out = new Array(points.length);
  for (let i = 0; i < points.length; i += 1) {
    const p = points[i];
    const q = [(ox + (p[0] - ox) * sx) + dx, (oy + (p[1] - oy) * sy) + dy];
    if (p.length > 2) q.push(p[2]);
    out[i] = q;
  }
  return out;
}

// The element registry: the one list of element types the page knows. Everything else asks a
// type's definition (its fields, bounds, hit test, drawing, transform) through the
// functions here and never switches on elementType. Adding a type is a module in this folder
// plus one line in DEFINITIONS (and its row in lanboard/elements.py; the schema parity test
// holds the two in step). Pure module: no DOM, so node imports it for tests and benchmarks.

import arrow from './arrow.js';
import ellipse from './ellipse.js';
import highlighter from './highlighter.js';
import image from './image.js';
import line from './line.js';
import path from './path.js';
import rect from './rect.js';
import sticky from './sticky.js';
import text from './text.js';
import {
  checkFields, isElementId, LIMITS, setFields, wireFields,
} from './fields.js';

const DEFINITIONS = [line, arrow, rect, ellipse, path, highlighter, text, sticky, image];

/** elementType -> definition, in the order above. */
export const TYPES = new Map(DEFINITIONS.map((d) => [d.type, Object.freeze(d)]));

/** Every field name some type has (an update's `set` naming any other is refused). */
export const FIELD_NAMES = new Set(DEFINITIONS.flatMap((d) => Object.keys(d.fields)));

/** The definition of el's type, or undefined for a type this page does not know. */
export function typeOf(el) {
  return el && typeof el.elementType === 'string' ? TYPES.get(el.elementType) : undefined;
}

/** The field `name` of some type, to check a value of it ({kind, required}), or undefined. */
export function fieldSpec(name) {
  for (const d of DEFINITIONS) if (Object.hasOwn(d.fields, name)) return d.fields[name];
  return undefined;
}

/**
 * '' when the server would accept `el` in a draw, else a short error. Fields its type does not
 * have are not looked at: `wireElement` drops them (a local userId, say) before it is sent.
 */
export function checkElement(el) {
  if (!el || typeof el !== 'object' || Array.isArray(el)) return 'not an object';
  if (!isElementId(el.id)) return 'bad id';
  const def = typeOf(el);
  if (!def) return 'unknown elementType';
  return checkFields(def.fields, el);
}

/** The element as sent: id, elementType and only the fields the server accepts for its type. */
export function wireElement(el) {
  const def = typeOf(el);
  if (!def) {
    return { id: el.id, elementType: el.elementType, strokeColor: el.strokeColor,
      strokeWidth: el.strokeWidth };
  }
  return wireFields(def.fields, el);
}

/** {x0, y0, x1, y1} in world units, stroke included; null for an unknown type or no points. */
export function bounds(el) {
  const def = typeOf(el);
  return def ? def.bounds(el) : null;
}

/**
 * Whether (x, y) is within `tol` of what is drawn (a stroke's line, a filled shape's inside,
 * a text's box), not merely inside the bounding box. `b` may pass cached bounds.
 */
export function hitTest(el, x, y, tol, b) {
  const def = typeOf(el);
  if (!def) return false;
  const box = b || def.bounds(el);
  if (!box || x < box.x0 - tol || x > box.x1 + tol || y < box.y0 - tol || y > box.y1 + tol) {
    return false;
  }
  return def.hit(el, x, y, tol);
}

/** Paints el on a context in world units; false for a type this page does not know. */
export function drawElement(ctx, el) {
  const def = typeOf(el);
  if (!def) return false;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  return def.draw(ctx, el) !== false;
}

/**
 * The element moved and scaled by t = {dx, dy, sx, sy, ox, oy} (defaults 0, 0, 1, 1, 0, 0),
 * with the server's arithmetic; a new object. An unknown type is returned as it is.
 */
export function transformElement(el, t) {
  const def = typeOf(el);
  return def ? def.transform(el, t) : el;
}

/** An update's `set` on one element (fields its type lacks skipped, null removes); new object. */
export function applySet(el, set) {
  const def = typeOf(el);
  return def ? setFields(def.fields, el, set) : el;
}

/**
 * An update's change to one element as the server applies it: scale, then move, then set.
 * `change` is {move?: [dx, dy], scale?: [sx, sy, ox, oy], set?}, as on the wire.
 */
export function applyUpdate(el, change) {
  let out = el;
  if (change.move || change.scale) {
    const [sx, sy, ox, oy] = change.scale || [1, 1, 0, 0];
    const [dx, dy] = change.move || [0, 0];
    out = transformElement(out, { dx, dy, sx, sy, ox, oy });
  }
  if (change.set) out = applySet(out, change.set);
  return out;
}

/** A new element of `type` with its defaults, then `fields` (an id among them). */
export function newElement(type, fields = {}) {
  const def = TYPES.get(type);
  if (!def) throw new Error(`unknown element type ${type}`);
  return { elementType: type, ...def.defaults(), ...fields };
}

export function isResizable(el) {
  return Boolean(typeOf(el)?.resizable);
}

/** Exactly what the server's lanboard.elements.schema_json() returns. */
export function schemaJSON() {
  const types = {};
  for (const d of DEFINITIONS) {
    types[d.type] = {};
    for (const [name, f] of Object.entries(d.fields)) {
      types[d.type][name] = { kind: f.kind, required: f.required };
    }
  }
  return { limits: { ...LIMITS }, types };
}

export { LIMITS };

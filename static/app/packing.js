// Packed stroke points in a sync (the server's lanboard/packing.py; the page asks with
// `pack=1`). A packed element carries "pk":[X0,Y0,dX1,dY1,...], its coordinates times 10 as
// a first whole number and then differences, and, for points with pressure, "pp":[P0,dP1,...]
// (times 100), in place of "points". Expanding them here, before the scene sees the sync,
// keeps everything else (scene, board cache, exports) on today's elements.
//
// Exactness: the running sum is an exact integer (far below 2**53) and one division by 10 is
// correctly rounded, so x is the very double the server holds; the server packs an element
// only when that is so.

const COORDS = 'pk';
const PRESSURE = 'pp';

/** The URL with the packed-sync request added (the server honours it with v=2 only). */
export function withPack(url) {
  const u = new URL(url);
  u.searchParams.set('pack', '1');
  return u.toString();
}

function wholeNumbers(list) {
  return Array.isArray(list) && list.every((n) => Number.isSafeInteger(n));
}

/** `points` from packed fields, or null when they are malformed. */
export function unpackPoints(coords, pressure) {
  if (!wholeNumbers(coords) || coords.length === 0 || coords.length % 2 !== 0) return null;
  const n = coords.length / 2;
  if (pressure !== undefined && (!wholeNumbers(pressure) || pressure.length !== n)) return null;
  const points = new Array(n);
  let x = 0;
  let y = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    x += coords[2 * i];
    y += coords[2 * i + 1];
    if (pressure === undefined) {
      points[i] = [x / 10, y / 10];
    } else {
      p += pressure[i];
      points[i] = [x / 10, y / 10, p / 100];
    }
  }
  return points;
}

/** One element as stored: a packed one gets its `points` back, in the place `pk` held. */
export function unpackElement(el) {
  if (!el || typeof el !== 'object' || !(COORDS in el)) return el;
  const points = unpackPoints(el[COORDS], el[PRESSURE]);
  if (points === null) return null;
  const out = {};
  for (const key of Object.keys(el)) {
    if (key === COORDS) out.points = points;
    else if (key !== PRESSURE) out[key] = el[key];
  }
  return out;
}

/** A sync's elements with every packed one expanded; a malformed one is left out. */
export function unpackElements(elements) {
  if (!Array.isArray(elements)) return elements;
  const out = [];
  let bad = 0;
  for (const el of elements) {
    const plain = unpackElement(el);
    if (plain === null) bad++;
    else out.push(plain);
  }
  if (bad) console.warn(`sync: ${bad} packed element(s) could not be read and were left out`);
  return out;
}

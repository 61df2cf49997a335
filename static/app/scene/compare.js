// Whether two elements hold the same content. `userId` is left out: the server sets it, and a
// re-sent draw comes back with the sender's. Pure module.

function sameValue(a, b, tol) {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    return tol > 0 && Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!sameValue(a[i], b[i], tol)) return false;
    return true;
  }
  return false;
}

/**
 * True when a and b have the same fields and values (userId aside). With `tol` > 0, numbers
 * equal within that relative tolerance count as the same: an undone move (x + dx - dx) can
 * differ from x in the last bit, and that is not somebody else's change.
 */
export function sameElement(a, b, tol = 0) {
  if (a === b) return true;
  if (!a || !b) return false;
  let n = 0;
  for (const k of Object.keys(a)) {
    if (k === 'userId') continue;
    n += 1;
    if (!Object.prototype.hasOwnProperty.call(b, k) || !sameValue(a[k], b[k], tol)) return false;
  }
  for (const k of Object.keys(b)) if (k !== 'userId') n -= 1;
  return n === 0;
}

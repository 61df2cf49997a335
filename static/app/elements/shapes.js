// Geometry shared by the element types: boxes, distances to segments, polylines.
// Bounds are {x0, y0, x1, y1} in world units with x0 <= x1 and y0 <= y1. Pure module: no DOM.

/** How far past the drawn stroke a box reaches: half the stroke plus a pixel of antialiasing. */
export function strokePad(el) {
  return (el.strokeWidth || 1) / 2 + 1;
}

/** A rectangle from a corner and a size of either sign: {x, y, width, height}, sizes >= 0. */
export function normRect(x, y, w, h) {
  return {
    x: w < 0 ? x + w : x, y: h < 0 ? y + h : y, width: Math.abs(w), height: Math.abs(h),
  };
}

export function padBox(b, pad) {
  return { x0: b.x0 - pad, y0: b.y0 - pad, x1: b.x1 + pad, y1: b.y1 + pad };
}

export function boxesIntersect(a, b) {
  return a.x0 <= b.x1 && a.x1 >= b.x0 && a.y0 <= b.y1 && a.y1 >= b.y0;
}

export function inBox(b, x, y, tol = 0) {
  return x >= b.x0 - tol && x <= b.x1 + tol && y >= b.y0 - tol && y <= b.y1 + tol;
}

/** The box of an element with x, y, width, height (either sign), without stroke. */
export function rectBox(el) {
  const r = normRect(el.x, el.y, el.width, el.height);
  return { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height };
}

/** Distance from point (px, py) to the segment (ax, ay)-(bx, by). */
export function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Whether (x, y) is within `tol` of the outline of box `b`. */
export function nearBoxOutline(b, x, y, tol) {
  if (!inBox(b, x, y, tol)) return false;
  return x <= b.x0 + tol || x >= b.x1 - tol || y <= b.y0 + tol || y >= b.y1 - tol;
}

/** Box of a list of points [x, y, ...], or null for none. */
export function pointsBox(points) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    if (p[0] < x0) x0 = p[0];
    if (p[0] > x1) x1 = p[0];
    if (p[1] < y0) y0 = p[1];
    if (p[1] > y1) y1 = p[1];
  }
  return x0 === Infinity ? null : { x0, y0, x1, y1 };
}

/** Whether (x, y) is within `tol` of the polyline through `points` (one point: a dot). */
export function nearPolyline(points, x, y, tol) {
  if (points.length === 1) return Math.hypot(x - points[0][0], y - points[0][1]) <= tol;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1];
    const b = points[i];
    // Cheap reject first: most segments of a long stroke are far from the pointer.
    if ((x < a[0] - tol && x < b[0] - tol) || (x > a[0] + tol && x > b[0] + tol) ||
        (y < a[1] - tol && y < b[1] - tol) || (y > a[1] + tol && y > b[1] + tol)) continue;
    if (segmentDistance(x, y, a[0], a[1], b[0], b[1]) <= tol) return true;
  }
  return false;
}

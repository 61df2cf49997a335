// Element geometry: bounds, hit tests and shape helpers shared by the renderer, the eraser and
// the exporters. Pure module: no DOM.

/** Average glyph width as a share of the font size; good enough for bounds and hit tests. */
export const GLYPH_WIDTH = 0.6;
export const LINE_HEIGHT = 1.25;

/** A rectangle from two corners, whatever their order. */
export function normRect(x, y, w, h) {
  return {
    x: w < 0 ? x + w : x, y: h < 0 ? y + h : y, width: Math.abs(w), height: Math.abs(h),
  };
}

export function textLines(text) {
  return String(text).split('\n');
}

/** Bounds {minX, minY, maxX, maxY} including half the stroke width, or null if unknown type. */
export function bounds(el) {
  const pad = (el.strokeWidth || 1) / 2 + 1;
  let minX;
  let minY;
  let maxX;
  let maxY;
  switch (el.elementType) {
    case 'line':
    case 'arrow': {
      minX = Math.min(el.x1, el.x2); maxX = Math.max(el.x1, el.x2);
      minY = Math.min(el.y1, el.y2); maxY = Math.max(el.y1, el.y2);
      const head = el.elementType === 'arrow' ? arrowHeadSize(el.strokeWidth) : 0;
      return { minX: minX - pad - head, minY: minY - pad - head,
        maxX: maxX + pad + head, maxY: maxY + pad + head };
    }
    case 'rect':
    case 'ellipse': {
      const r = normRect(el.x, el.y, el.width, el.height);
      return { minX: r.x - pad, minY: r.y - pad, maxX: r.x + r.width + pad,
        maxY: r.y + r.height + pad };
    }
    case 'path': {
      minX = Infinity; minY = Infinity; maxX = -Infinity; maxY = -Infinity;
      for (const p of el.points) {
        if (p[0] < minX) minX = p[0];
        if (p[0] > maxX) maxX = p[0];
        if (p[1] < minY) minY = p[1];
        if (p[1] > maxY) maxY = p[1];
      }
      if (minX === Infinity) return null;
      return { minX: minX - pad, minY: minY - pad, maxX: maxX + pad, maxY: maxY + pad };
    }
    case 'text': {
      const lines = textLines(el.text);
      const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
      return { minX: el.x, minY: el.y, maxX: el.x + longest * el.fontSize * GLYPH_WIDTH,
        maxY: el.y + lines.length * el.fontSize * LINE_HEIGHT };
    }
    default:
      return null;
  }
}

/** Bounds of several elements, or null when none has known bounds. */
export function unionBounds(elements) {
  let out = null;
  for (const el of elements) {
    const b = bounds(el);
    if (!b) continue;
    if (!out) out = { ...b };
    else {
      out.minX = Math.min(out.minX, b.minX); out.minY = Math.min(out.minY, b.minY);
      out.maxX = Math.max(out.maxX, b.maxX); out.maxY = Math.max(out.maxY, b.maxY);
    }
  }
  return out;
}

export function intersects(a, b) {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

export function arrowHeadSize(strokeWidth) {
  return Math.max(10, strokeWidth * 4);
}

/** The two back corners of an arrow head pointing at (x2, y2). */
export function arrowHead(x1, y1, x2, y2, strokeWidth) {
  const size = arrowHeadSize(strokeWidth);
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const spread = Math.PI / 7;
  return [
    [x2 - size * Math.cos(angle - spread), y2 - size * Math.sin(angle - spread)],
    [x2 - size * Math.cos(angle + spread), y2 - size * Math.sin(angle + spread)],
  ];
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

/**
 * Whether a circle at (x, y) with radius r touches the element (its ink, not its box).
 * `b` may pass the element's bounds when the caller has them cached.
 */
export function hitTest(el, x, y, r, b = bounds(el)) {
  const tol = r + (el.strokeWidth || 1) / 2;
  if (!b || x < b.minX - r || x > b.maxX + r || y < b.minY - r || y > b.maxY + r) return false;
  switch (el.elementType) {
    case 'line':
    case 'arrow':
      return segmentDistance(x, y, el.x1, el.y1, el.x2, el.y2) <= tol;
    case 'rect': {
      const n = normRect(el.x, el.y, el.width, el.height);
      const inside = x >= n.x && x <= n.x + n.width && y >= n.y && y <= n.y + n.height;
      if (inside && el.fillColor) return true;
      const edges = [
        [n.x, n.y, n.x + n.width, n.y], [n.x + n.width, n.y, n.x + n.width, n.y + n.height],
        [n.x, n.y + n.height, n.x + n.width, n.y + n.height], [n.x, n.y, n.x, n.y + n.height],
      ];
      return edges.some((e) => segmentDistance(x, y, ...e) <= tol);
    }
    case 'ellipse': {
      const n = normRect(el.x, el.y, el.width, el.height);
      const rx = n.width / 2;
      const ry = n.height / 2;
      const cx = n.x + rx;
      const cy = n.y + ry;
      if (rx < 1 || ry < 1) return segmentDistance(x, y, n.x, n.y, n.x + n.width, n.y + n.height) <= tol;
      const d = Math.hypot((x - cx) / rx, (y - cy) / ry);
      if (d <= 1 && el.fillColor) return true;
      // Distance to the outline, approximated by scaling the radial gap by the smaller radius.
      return Math.abs(d - 1) * Math.min(rx, ry) <= tol;
    }
    case 'path': {
      const pts = el.points;
      if (pts.length === 1) return Math.hypot(x - pts[0][0], y - pts[0][1]) <= tol;
      for (let i = 1; i < pts.length; i += 1) {
        if (segmentDistance(x, y, pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1]) <= tol) {
          return true;
        }
      }
      return false;
    }
    case 'text':
      return x >= b.minX - r && x <= b.maxX + r && y >= b.minY - r && y <= b.maxY + r;
    default:
      return false;
  }
}

/** Drops points closer than `minDist` to the previous kept one (keeps the first and last). */
export function thinPoints(points, minDist) {
  if (points.length < 3) return points.slice();
  const out = [points[0]];
  for (let i = 1; i < points.length - 1; i += 1) {
    const last = out[out.length - 1];
    if (Math.hypot(points[i][0] - last[0], points[i][1] - last[1]) >= minDist) out.push(points[i]);
  }
  out.push(points[points.length - 1]);
  return out;
}

// Paints one element on a 2D context whose transform maps world units. Used by the screen
// renderer and by the PNG export, so both look the same.

import { arrowHead, LINE_HEIGHT, normRect, textLines } from './geometry.js';

export const FONT_FAMILY = 'system-ui, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

function pressureWidth(w, p) {
  return w * (0.3 + 1.4 * (p ?? 0.5));
}

function drawPath(ctx, el) {
  const pts = el.points;
  const w = el.strokeWidth;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0], pts[0][1], pressureWidth(w, pts[0][2]) / 2, 0, Math.PI * 2);
    ctx.fillStyle = el.strokeColor;
    ctx.fill();
    return;
  }
  ctx.strokeStyle = el.strokeColor;
  if (pts[0].length === 3) {
    // Pressure: each stretch gets its own width, smoothed through the midpoints.
    let mx = pts[0][0];
    let my = pts[0][1];
    for (let i = 1; i < pts.length; i += 1) {
      const p = pts[i];
      const nx = i + 1 < pts.length ? (p[0] + pts[i + 1][0]) / 2 : p[0];
      const ny = i + 1 < pts.length ? (p[1] + pts[i + 1][1]) / 2 : p[1];
      ctx.beginPath();
      ctx.moveTo(mx, my);
      ctx.quadraticCurveTo(p[0], p[1], nx, ny);
      ctx.lineWidth = pressureWidth(w, p[2]);
      ctx.stroke();
      mx = nx;
      my = ny;
    }
    return;
  }
  ctx.lineWidth = w;
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  const lod = ctx.lbLod || 0;
  if (lod > 0) {
    // Zoomed out: points closer than a screen pixel add raster work but no visible shape.
    let lx = pts[0][0];
    let ly = pts[0][1];
    for (let i = 1; i < pts.length - 1; i += 1) {
      const p = pts[i];
      if (Math.abs(p[0] - lx) + Math.abs(p[1] - ly) < lod) continue;
      ctx.lineTo(p[0], p[1]);
      lx = p[0];
      ly = p[1];
    }
    const end = pts[pts.length - 1];
    ctx.lineTo(end[0], end[1]);
    ctx.stroke();
    return;
  }
  for (let i = 1; i < pts.length - 1; i += 1) {
    const p = pts[i];
    const q = pts[i + 1];
    ctx.quadraticCurveTo(p[0], p[1], (p[0] + q[0]) / 2, (p[1] + q[1]) / 2);
  }
  const last = pts[pts.length - 1];
  ctx.lineTo(last[0], last[1]);
  ctx.stroke();
}

/** Paints `el`; returns false for element types this client does not know (they are skipped). */
export function drawElement(ctx, el) {
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  switch (el.elementType) {
    case 'path':
      if (!Array.isArray(el.points) || !el.points.length) return false;
      drawPath(ctx, el);
      return true;
    case 'line':
    case 'arrow': {
      ctx.strokeStyle = el.strokeColor;
      ctx.lineWidth = el.strokeWidth;
      ctx.beginPath();
      ctx.moveTo(el.x1, el.y1);
      ctx.lineTo(el.x2, el.y2);
      if (el.elementType === 'arrow' && (el.x1 !== el.x2 || el.y1 !== el.y2)) {
        const [a, b] = arrowHead(el.x1, el.y1, el.x2, el.y2, el.strokeWidth);
        ctx.moveTo(a[0], a[1]);
        ctx.lineTo(el.x2, el.y2);
        ctx.lineTo(b[0], b[1]);
      }
      ctx.stroke();
      return true;
    }
    case 'rect':
    case 'ellipse': {
      const r = normRect(el.x, el.y, el.width, el.height);
      ctx.beginPath();
      if (el.elementType === 'rect') ctx.rect(r.x, r.y, r.width, r.height);
      else {
        ctx.ellipse(r.x + r.width / 2, r.y + r.height / 2, r.width / 2, r.height / 2, 0, 0,
          Math.PI * 2);
      }
      if (el.fillColor) {
        ctx.fillStyle = el.fillColor;
        ctx.fill();
      }
      ctx.strokeStyle = el.strokeColor;
      ctx.lineWidth = el.strokeWidth;
      ctx.stroke();
      return true;
    }
    case 'text': {
      ctx.fillStyle = el.strokeColor;
      // Setting a font parses it each time; boards hold many texts of a few sizes.
      if (ctx.lbFontSize !== el.fontSize) {
        ctx.font = `${el.fontSize}px ${FONT_FAMILY}`;
        ctx.lbFontSize = el.fontSize;
      }
      ctx.textBaseline = 'top';
      const lines = textLines(el.text);
      for (let i = 0; i < lines.length; i += 1) {
        ctx.fillText(lines[i], el.x, el.y + i * el.fontSize * LINE_HEIGHT);
      }
      return true;
    }
    default:
      return false;
  }
}

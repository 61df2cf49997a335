// Marks the overlay paints in screen pixels, over the drawing: our selection's box and resize
// handles, the marquee of a box selection, the eraser's ring, remote cursors and name labels. Text is canvas text, never HTML.

import { textOn } from './theme.js';

const FONT = 'system-ui, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const SELECTION_COLOR = '#2563eb';

/** Our selection: its box {x, y, w, h} and the 8 handles [x, y], in screen pixels. */
export function paintSelectionBox(ctx, s, handles) {
  ctx.strokeStyle = SELECTION_COLOR;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(s.x - 0.5, s.y - 0.5, s.w + 1, s.h + 1);
  const r = 4;
  ctx.fillStyle = '#ffffff';
  for (const [hx, hy] of handles) {
    ctx.fillRect(hx - r, hy - r, 2 * r, 2 * r);
    ctx.strokeRect(hx - r, hy - r, 2 * r, 2 * r);
  }
}

/** The box being dragged out to select, {x, y, w, h} in screen pixels. */
export function paintMarquee(ctx, s) {
  ctx.fillStyle = 'rgba(37, 99, 235, 0.08)';
  ctx.fillRect(s.x, s.y, s.w, s.h);
  ctx.strokeStyle = SELECTION_COLOR;
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 3]);
  ctx.strokeRect(s.x + 0.5, s.y + 0.5, s.w, s.h);
  ctx.setLineDash([]);
}

/** The eraser's reach around the pointer. */
export function paintRing(ctx, x, y, r) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.strokeStyle = '#6b7280';
  ctx.lineWidth = 1;
  ctx.stroke();
}

/** A name on a colored label with its top-left corner at (x, y). */
export function paintLabel(ctx, name, color, x, y) {
  ctx.font = `12px ${FONT}`;
  ctx.lbFontSize = null; // the element drawing's font cache no longer holds
  ctx.textBaseline = 'middle';
  const w = ctx.measureText(name).width + 10;
  ctx.fillStyle = color;
  ctx.beginPath();
  if (ctx.roundRect) ctx.roundRect(x, y, w, 18, 4);
  else ctx.rect(x, y, w, 18); // older Safari
  ctx.fill();
  ctx.fillStyle = textOn(color); // black or white, whichever reads at 4.5:1 or more
  ctx.fillText(name, x + 5, y + 9);
}

/** A remote pointer at (x, y): an arrow in the user's color and the name on a label. */
export function paintCursor(ctx, name, color, x, y) {
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x, y + 19);
  ctx.lineTo(x + 5, y + 14.5);
  ctx.lineTo(x + 13, y + 14.5);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.fill();
  ctx.stroke();
  paintLabel(ctx, name, color, x + 12, y + 16);
}

/**
 * A laser trail: [x, y, alpha] screen points, oldest first; each segment fades with its point
 * and the newest point is a bright dot (issue 14).
 */
export function paintLaser(ctx, color, points) {
  if (!points.length) return;
  ctx.save();
  ctx.lineCap = 'round';
  ctx.strokeStyle = color;
  ctx.lineWidth = 4;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1, a] = points[i];
    ctx.globalAlpha = Math.max(0, a) * 0.8;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  }
  const [x, y, a] = points[points.length - 1];
  ctx.globalAlpha = Math.max(0, a);
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.arc(x, y, 6, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}

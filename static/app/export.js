// Downloads of the board: PNG painted here, fitted to the drawing's bounds; SVG comes from the
// server (`/api/rooms/{id}/export?format=svg`, see api.js), the one SVG exporter. Works over
// plain HTTP: a blob URL on a temporary link, no secure-context API.

import { bounds, drawElement } from './elements/index.js';

const PAD = 20;
/** Largest PNG side in pixels; bigger drawings are scaled down to fit. */
const MAX_SIDE = 8192;
/** Largest PNG area in pixels: iOS Safari refuses canvases over 16.7 million pixels. */
const MAX_AREA = 16_000_000;

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Union bounds {x0, y0, x1, y1} of elements, or null when none has bounds. */
export function unionBounds(elements) {
  let box = null;
  for (const el of elements) {
    const b = bounds(el);
    if (!b) continue;
    box = box ? { x0: Math.min(box.x0, b.x0), y0: Math.min(box.y0, b.y0),
      x1: Math.max(box.x1, b.x1), y1: Math.max(box.y1, b.y1) } : { ...b };
  }
  return box;
}

/** Paints the elements on a new canvas fitted to their bounds; `scale` 2 keeps it crisp. */
export function boardCanvas(elements, scale = 2) {
  const list = [...elements];
  const b = unionBounds(list) || { x0: 0, y0: 0, x1: 100, y1: 100 };
  const w = b.x1 - b.x0 + 2 * PAD;
  const h = b.y1 - b.y0 + 2 * PAD;
  const s = Math.min(scale, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_AREA / (w * h)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.ceil(w * s));
  canvas.height = Math.max(1, Math.ceil(h * s));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(s, 0, 0, s, (PAD - b.x0) * s, (PAD - b.y0) * s);
  for (const el of list) {
    try {
      drawElement(ctx, el);
    } catch {
      // skip a malformed element
    }
  }
  return canvas;
}

/**
 * Issue 15, "all pages": each page's drawing (`groups`, one list of elements per page, page 1
 * first) fitted on its own and set one below the other, a gap and a rule between them.
 */
export function stackedCanvas(groups, scale = 2) {
  const parts = groups.map((els) => boardCanvas(els, scale));
  const gap = Math.round(PAD * scale);
  const width = Math.max(1, ...parts.map((c) => c.width));
  let height = gap * Math.max(0, parts.length - 1);
  for (const c of parts) height += c.height;
  const s = Math.min(1, MAX_SIDE / height, Math.sqrt(MAX_AREA / (width * height)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.floor(width * s));
  canvas.height = Math.max(1, Math.floor(height * s));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#dee2e6';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let y = 0;
  for (const c of parts) {
    ctx.drawImage(c, 0, y * s, c.width * s, c.height * s);
    y += c.height + gap;
  }
  return canvas;
}

export function pngBlob(elements, canvas = null) {
  return new Promise((resolve) => (canvas || boardCanvas(elements)).toBlob(resolve, 'image/png'));
}

/** Downloads `name`.png: the elements fitted, or a canvas made already (all pages). */
export async function exportPng(elements, name, canvas = null) {
  download(await pngBlob(elements, canvas), `${name}.png`);
}

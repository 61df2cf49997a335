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

export function pngBlob(elements) {
  return new Promise((resolve) => boardCanvas(elements).toBlob(resolve, 'image/png'));
}

export async function exportPng(elements, name) {
  download(await pngBlob(elements), `${name}.png`);
}

// Downloads of the board as PNG and SVG, fitted to the drawing's bounds. Works over plain
// HTTP: a blob URL on a temporary link, no secure-context API.

import { unionBounds } from './geometry.js';
import { drawElement } from './draw.js';
import { boardSvg } from './svg.js';

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

/** Paints the elements on a new canvas fitted to their bounds; `scale` 2 keeps it crisp. */
export function boardCanvas(elements, scale = 2) {
  const list = [...elements];
  const b = unionBounds(list) || { minX: 0, minY: 0, maxX: 100, maxY: 100 };
  const w = b.maxX - b.minX + 2 * PAD;
  const h = b.maxY - b.minY + 2 * PAD;
  const s = Math.min(scale, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_AREA / (w * h)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.ceil(w * s));
  canvas.height = Math.max(1, Math.ceil(h * s));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(s, 0, 0, s, (PAD - b.minX) * s, (PAD - b.minY) * s);
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

export function svgBlob(elements) {
  return new Blob([boardSvg(elements, PAD)], { type: 'image/svg+xml' });
}

export async function exportPng(elements, name) {
  download(await pngBlob(elements), `${name}.png`);
}

export function exportSvg(elements, name) {
  download(svgBlob(elements), `${name}.svg`);
}

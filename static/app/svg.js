// Builds an SVG document of elements, fitted to their bounds. Pure module (no DOM), so it runs
// in the browser for "Download SVG" and under node for tests.

import { arrowHead, LINE_HEIGHT, normRect, textLines, unionBounds } from './geometry.js';

const FONT = 'system-ui, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

export function escapeXml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;',
  })[c]);
}

const n = (v) => (Math.round(v * 100) / 100).toString();

function pathData(pts) {
  let d = `M${n(pts[0][0])} ${n(pts[0][1])}`;
  for (let i = 1; i < pts.length - 1; i += 1) {
    const p = pts[i];
    const q = pts[i + 1];
    d += `Q${n(p[0])} ${n(p[1])} ${n((p[0] + q[0]) / 2)} ${n((p[1] + q[1]) / 2)}`;
  }
  const last = pts[pts.length - 1];
  return `${d}L${n(last[0])} ${n(last[1])}`;
}

function stroke(el) {
  return `stroke="${escapeXml(el.strokeColor)}" stroke-width="${n(el.strokeWidth)}"`;
}

/** One element as SVG markup, or '' for an unknown type. */
export function elementSvg(el) {
  switch (el.elementType) {
    case 'path': {
      const pts = el.points;
      if (!Array.isArray(pts) || !pts.length) return '';
      if (pts.length === 1) {
        return `<circle cx="${n(pts[0][0])}" cy="${n(pts[0][1])}" r="${n(el.strokeWidth / 2)}" ` +
          `fill="${escapeXml(el.strokeColor)}"/>`;
      }
      if (pts[0].length === 3) {
        const parts = [];
        for (let i = 1; i < pts.length; i += 1) {
          const w = el.strokeWidth * (0.3 + 1.4 * (pts[i][2] ?? 0.5));
          parts.push(`<path d="M${n(pts[i - 1][0])} ${n(pts[i - 1][1])}L${n(pts[i][0])} ` +
            `${n(pts[i][1])}" stroke-width="${n(w)}"/>`);
        }
        return `<g fill="none" stroke="${escapeXml(el.strokeColor)}">${parts.join('')}</g>`;
      }
      return `<path d="${pathData(pts)}" fill="none" ${stroke(el)}/>`;
    }
    case 'line':
    case 'arrow': {
      let d = `M${n(el.x1)} ${n(el.y1)}L${n(el.x2)} ${n(el.y2)}`;
      if (el.elementType === 'arrow' && (el.x1 !== el.x2 || el.y1 !== el.y2)) {
        const [a, b] = arrowHead(el.x1, el.y1, el.x2, el.y2, el.strokeWidth);
        d += `M${n(a[0])} ${n(a[1])}L${n(el.x2)} ${n(el.y2)}L${n(b[0])} ${n(b[1])}`;
      }
      return `<path d="${d}" fill="none" ${stroke(el)}/>`;
    }
    case 'rect':
    case 'ellipse': {
      const r = normRect(el.x, el.y, el.width, el.height);
      const fill = el.fillColor ? escapeXml(el.fillColor) : 'none';
      if (el.elementType === 'rect') {
        return `<rect x="${n(r.x)}" y="${n(r.y)}" width="${n(r.width)}" height="${n(r.height)}" ` +
          `fill="${fill}" ${stroke(el)}/>`;
      }
      return `<ellipse cx="${n(r.x + r.width / 2)}" cy="${n(r.y + r.height / 2)}" ` +
        `rx="${n(r.width / 2)}" ry="${n(r.height / 2)}" fill="${fill}" ${stroke(el)}/>`;
    }
    case 'text': {
      const lines = textLines(el.text).map((line, i) =>
        `<tspan x="${n(el.x)}" y="${n(el.y + i * el.fontSize * LINE_HEIGHT)}">` +
        `${escapeXml(line)}</tspan>`);
      return `<text font-family="${FONT}" font-size="${n(el.fontSize)}" ` +
        `dominant-baseline="hanging" fill="${escapeXml(el.strokeColor)}" ` +
        `xml:space="preserve">${lines.join('')}</text>`;
    }
    default:
      return '';
  }
}

/** A standalone SVG document of `elements` on a white background, with `pad` units of margin. */
export function boardSvg(elements, pad = 20) {
  const list = [...elements];
  const b = unionBounds(list) || { minX: 0, minY: 0, maxX: 100, maxY: 100 };
  const x = b.minX - pad;
  const y = b.minY - pad;
  const w = b.maxX - b.minX + 2 * pad;
  const h = b.maxY - b.minY + 2 * pad;
  const body = list.map(elementSvg).filter(Boolean).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${n(x)} ${n(y)} ${n(w)} ${n(h)}" ` +
    `width="${Math.ceil(w)}" height="${Math.ceil(h)}" stroke-linecap="round" ` +
    `stroke-linejoin="round">\n<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" ` +
    `fill="#ffffff"/>\n${body}\n</svg>\n`;
}

// Images on the board (issue 15): the picture cache every image element draws from, the
// downscale a photo goes through before it leaves the device, and the uploads (images to
// POST /api/rooms/{id}/assets, PDFs to POST /api/rooms/{id}/pdf).
//
// The cache is keyed by asset hash and loads each picture as an <img> from
// GET /api/rooms/{id}/assets/{hash}: that address never changes its bytes (the server sends
// `immutable`), so the browser's HTTP cache serves it once per device and a picture never
// rides in the socket. When one arrives the board repaints.
//
// The size rule (`uploadPlan`) is pure, so node tests pin it; the rest needs a browser.

import { writeHeaders } from './api.js';
import { setImageSource } from './elements/image.js';

/** Longest side of an uploaded picture: a 12 MB phone photo leaves as about 0.5 MB. */
export const MAX_SIDE = 2560;
/** JPEG or WebP quality of a re-encoded picture. */
export const QUALITY = 0.85;
/** The server's limits (lanboard/limits.py): bytes per asset, long side, pixels. */
export const MAX_ASSET_BYTES = 10 * 1024 * 1024;
export const SERVER_MAX_SIDE = 8192;
export const SERVER_MAX_PIXELS = 40_000_000;
/** A PNG or GIF this small, within MAX_SIDE, goes as it is: a screenshot keeps sharp text. */
export const KEEP_BYTES = 1024 * 1024;
/** The PDF import's size limit (the server's too; a bigger file is refused before upload). */
export const MAX_PDF_BYTES = 50 * 1024 * 1024;

export const IMAGE_TYPES = Object.freeze(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

/** {width, height} scaled so the long side is at most `max` (never enlarged), at least 1. */
export function fitSize(width, height, max = MAX_SIDE) {
  const long = Math.max(width, height);
  const s = long > max ? max / long : 1;
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/**
 * What to upload for a picture of `type`, width x height, `bytes` long: {keep: true} to send
 * the file as it is, or {keep: false, width, height, type, quality} to draw it at that size
 * and encode it. `alpha`: whether the picture has transparent pixels (only asked of PNG, WebP
 * and GIF). A picture within MAX_SIDE in an accepted type and small enough is kept as it is;
 * a GIF is kept whenever the server would take it (an animation survives); everything else
 * goes as JPEG at QUALITY, or as WebP when it has transparency (PNG where the browser cannot
 * write WebP).
 */
export function uploadPlan({ type, width, height, bytes, alpha = false }) {
  const long = Math.max(width, height);
  const accepted = IMAGE_TYPES.includes(type);
  const serverTakes = accepted && bytes <= MAX_ASSET_BYTES && long <= SERVER_MAX_SIDE &&
    width * height <= SERVER_MAX_PIXELS;
  if (type === 'image/gif' && serverTakes) return { keep: true };
  if (accepted && long <= MAX_SIDE) {
    const lossless = type === 'image/png' || type === 'image/gif';
    if (lossless && bytes <= KEEP_BYTES) return { keep: true };
    if (!lossless && bytes <= KEEP_BYTES * 2) return { keep: true };
  }
  const size = fitSize(width, height);
  return { keep: false, ...size, type: alpha ? 'image/webp' : 'image/jpeg', quality: QUALITY };
}

// ---- the browser side ------------------------------------------------------------------

async function decode(blob) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(blob);
    } catch {
      // fall back to an <img>: some browsers decode more types there
    }
  }
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

function encode(canvas, type, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve, reject) => canvas.toBlob(
    (b) => (b ? resolve(b) : reject(new Error('the browser could not encode the picture'))),
    type, quality));
}

/** Whether the picture has a transparent pixel, looked at on a small copy. */
function hasAlpha(pic) {
  const { width, height } = fitSize(pic.width, pic.height, 256);
  const c = canvasOf(width, height);
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(pic, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
  return false;
}

/**
 * The file made ready for upload: {blob, picture, width, height}, `picture` decoded (to show
 * at once, before the server's copy is fetched). Throws with a message the person can read.
 */
export async function prepareImage(file) {
  let pic;
  try {
    pic = await decode(file);
  } catch {
    throw new Error('That file is not a picture this browser can open.');
  }
  const type = file.type;
  const lossless = type === 'image/png' || type === 'image/gif' || type === 'image/webp';
  const alpha = lossless ? hasAlpha(pic) : false;
  const plan = uploadPlan({ type, width: pic.width, height: pic.height, bytes: file.size, alpha });
  if (plan.keep) return { blob: file, picture: pic, width: pic.width, height: pic.height };
  const c = canvasOf(plan.width, plan.height);
  const ctx = c.getContext('2d');
  if (plan.type === 'image/jpeg') {
    ctx.fillStyle = '#ffffff'; // JPEG has no transparency: what was see-through is paper
    ctx.fillRect(0, 0, plan.width, plan.height);
  }
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(pic, 0, 0, plan.width, plan.height);
  let blob = await encode(c, plan.type, plan.quality);
  // A browser that cannot write WebP gives PNG: keep it unless it is over the server's cap.
  if (blob.size > MAX_ASSET_BYTES) blob = await encode(c, 'image/jpeg', plan.quality);
  // The full-size decode (48 MB for a 12 MP photo) is let go: the page shows the small copy.
  if (typeof pic.close === 'function') pic.close();
  if (blob.size > MAX_ASSET_BYTES) throw new Error('That picture is too large to upload.');
  return { blob, picture: c, width: plan.width, height: plan.height };
}

async function answer(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body) return { ok: true, data: body };
  const code = body && body.error ? body.error : `HTTP ${res.status}`;
  return { ok: false, status: res.status, code, error: (body && body.message) || code };
}

async function post(url, body, type, auth) {
  const headers = writeHeaders(auth);
  headers['Content-Type'] = type;
  try {
    return await answer(await fetch(url, { method: 'POST', headers, body }));
  } catch {
    return { ok: false, code: 'no_connection', error: 'no connection to the server' };
  }
}

/** POST the picture's bytes: {ok, data: {id, type, width, height, bytes}} or {ok: false, error}. */
export function uploadAsset(roomId, blob, auth) {
  const type = IMAGE_TYPES.includes(blob.type) ? blob.type : 'application/octet-stream';
  return post(`/api/rooms/${encodeURIComponent(roomId)}/assets`, blob, type, auth);
}

/** POST a PDF: {ok, data: {first, count, pages}} or {ok: false, code, error}. */
export function uploadPdf(roomId, file, auth, page = null) {
  const q = page ? `?page=${page}` : '';
  return post(`/api/rooms/${encodeURIComponent(roomId)}/pdf${q}`, file, 'application/pdf', auth);
}

/** The address of an asset: the same for everyone, cached for good by the browser. */
export function assetUrl(roomId, hash) {
  return `/api/rooms/${encodeURIComponent(roomId)}/assets/${hash}`;
}

/** Decoded pictures held at once (about three dozen PDF pages' worth of memory at most). */
export const MAX_PICTURES = 32;
/** A picture drawn this recently is on screen: it is kept whatever the count. */
const HOLD_MS = 5000;

/** A failed load is tried again after this long (the server may have been restarting). */
const RETRY_MS = 5000;

/**
 * The pictures of image elements, by asset hash. `get` answers a drawable at once or null
 * (and starts loading it); `loaded` is called when one arrives, to repaint. Installed as the
 * image element's source.
 */
export class AssetCache {
  constructor(roomId, loaded = () => {}) {
    this.roomId = roomId;
    this.loaded = loaded;
    /** hash -> {pic, promise, failedAt} */
    this.entries = new Map();
    this.stats = { requested: 0, loaded: 0, failed: 0 };
    this.now = () => performance.now();
  }

  install() {
    setImageSource((hash) => this.get(hash));
    return this;
  }

  get(hash) {
    if (typeof hash !== 'string') return null;
    const e = this.entries.get(hash);
    if (e && e.pic) {
      // Most recently drawn last: the least recently drawn go first when too many are held.
      e.usedAt = this.now();
      this.entries.delete(hash);
      this.entries.set(hash, e);
      return e.pic;
    }
    if (e && (e.promise || this.now() - e.failedAt < RETRY_MS)) return null;
    this._load(hash);
    return null;
  }

  /** A picture this page decoded itself (its own upload): no need to fetch it back. */
  put(hash, pic) {
    this.entries.set(hash, { pic, promise: null, failedAt: 0, usedAt: this.now() });
    this._trim();
    this.loaded(hash);
  }

  /**
   * Lets go of the pictures drawn longest ago past MAX_PICTURES (a 100-page PDF is 1 GB of
   * decoded pixels): one drawn again comes back from the browser's HTTP cache. A picture drawn
   * in the last HOLD_MS is never let go, so a page with more pictures than that never loads
   * them over and over.
   */
  _trim() {
    if (this.entries.size <= MAX_PICTURES) return;
    const now = this.now();
    for (const [hash, e] of this.entries) {
      if (this.entries.size <= MAX_PICTURES) break;
      // Loading or failed (kept so it is not asked again at once), or on screen just now.
      if (!e.pic || now - e.usedAt < HOLD_MS) continue;
      this.entries.delete(hash);
      if (typeof e.pic.close === 'function') e.pic.close();
    }
  }

  _load(hash) {
    this.stats.requested += 1;
    const img = new Image();
    img.decoding = 'async';
    const entry = { pic: null, promise: null, failedAt: 0, usedAt: this.now() };
    entry.promise = new Promise((resolve) => {
      img.onload = () => {
        entry.pic = img;
        entry.promise = null;
        this.stats.loaded += 1;
        this._trim();
        this.loaded(hash);
        resolve(img);
      };
      img.onerror = () => {
        entry.promise = null;
        entry.failedAt = this.now();
        this.stats.failed += 1;
        resolve(null);
      };
    });
    this.entries.set(hash, entry);
    img.src = assetUrl(this.roomId, hash);
  }

  /** Resolves once every one of `hashes` is loaded or failed (for an export), at most `ms`. */
  async whenLoaded(hashes, ms = 10000) {
    const waits = [];
    for (const h of new Set(hashes)) {
      if (this.get(h)) continue;
      const e = this.entries.get(h);
      if (e && e.promise) waits.push(e.promise);
    }
    if (!waits.length) return;
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, ms))]);
  }
}

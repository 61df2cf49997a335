// The page's theme and the colors it shows. Light or dark follows the system
// (`prefers-color-scheme`) unless the menu's theme item says otherwise (kept in localStorage:
// 'system', 'light' or 'dark'); <html data-theme> holds the one in force, and app.css reads it.
//
// On the dark board, ink is drawn through `displayed(el)`: a color too dark to see on the dark
// canvas is drawn with its lightness turned over and its hue kept (black shows near white,
// navy shows light blue), and ink on a light paper of its own (a sticky note) keeps its true
// color. Display only: the scene, the wire, undo and every export (PNG, SVG, PDF, print) keep
// the true colors. `textOn(color)` picks black or white text for a colored label or avatar,
// whichever contrasts more (always at least 4.58:1).
//
// The color functions are pure (node tests import them); the DOM is touched only when the
// page calls the theme functions, and on load in a browser (index.html loads this module too).

import { typeOf } from './elements/index.js';

const KEY = 'lanboard.theme';
export const THEMES = ['system', 'light', 'dark'];
/** The dark board's canvas (app.css --board in dark mode). */
export const DARK_BOARD = '#1b1d21';
/** Ink below this contrast with the dark canvas is shown turned over. */
const MIN_INK_CONTRAST = 3;

// ---- colors (pure) ------------------------------------------------------------------------

/** [r, g, b] 0-255 of '#rgb' or '#rrggbb', else null (named and rgb() colors are kept as they are). */
export function parseHex(color) {
  if (typeof color !== 'string') return null;
  let m = /^#([0-9a-f]{6})$/i.exec(color);
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
  m = /^#([0-9a-f]{3})$/i.exec(color);
  if (m) return [...m[1]].map((c) => parseInt(c + c, 16));
  return null;
}

const hex = (rgb) => `#${rgb.map((v) => Math.round(Math.max(0, Math.min(255, v)))
  .toString(16).padStart(2, '0')).join('')}`;

/** WCAG relative luminance of [r, g, b]. */
export function luminance([r, g, b]) {
  const f = (v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/** WCAG contrast ratio of two hex colors (1 to 21). */
export function contrast(a, b) {
  const la = luminance(parseHex(a));
  const lb = luminance(parseHex(b));
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** '#000000' or '#ffffff', whichever reads better on `color` (white when it is not hex). */
export function textOn(color) {
  const rgb = parseHex(color);
  if (!rgb) return '#ffffff';
  return contrast(color, '#000000') > contrast(color, '#ffffff') ? '#000000' : '#ffffff';
}

function toHsl([r, g, b]) {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const max = Math.max(R, G, B);
  const min = Math.min(R, G, B);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  let h;
  if (max === R) h = (G - B) / d + (G < B ? 6 : 0);
  else if (max === G) h = (B - R) / d + 2;
  else h = (R - G) / d + 4;
  return [h / 6, s, l];
}

function fromHsl([h, s, l]) {
  if (s === 0) return [l * 255, l * 255, l * 255];
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const ch = (t) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [ch(h + 1 / 3) * 255, ch(h) * 255, ch(h - 1 / 3) * 255];
}

const inkCache = new Map();

/**
 * The color ink of `color` is shown in on the dark canvas: itself when it stands out enough,
 * else its lightness turned over (hue and saturation kept), lightened further if still dim.
 */
export function darkInk(color) {
  const rgb = parseHex(color);
  if (!rgb) return color;
  const key = color.toLowerCase();
  let out = inkCache.get(key);
  if (out !== undefined) return out;
  if (contrast(key, DARK_BOARD) >= MIN_INK_CONTRAST) {
    out = color;
  } else {
    const [h, s, l] = toHsl(rgb);
    let lit = Math.max(1 - l, 0.55);
    out = hex(fromHsl([h, s, lit]));
    while (contrast(out, DARK_BOARD) < 4.5 && lit < 0.95) {
      lit += 0.05;
      out = hex(fromHsl([h, s, lit]));
    }
  }
  if (inkCache.size > 500) inkCache.clear();
  inkCache.set(key, out);
  return out;
}

// The paper a type draws under its ink when fillColor is empty (a sticky note's yellow):
// read from the type's defaults, so no type is named here.
const paperOfType = new Map();
function paperOf(el) {
  if (el.fillColor) return el.fillColor;
  const def = typeOf(el);
  if (!def) return null;
  if (!paperOfType.has(def.type)) {
    const d = typeof def.defaults === 'function' ? def.defaults() : {};
    paperOfType.set(def.type, d.fillColor || null);
  }
  return paperOfType.get(def.type);
}

/** The element as the dark board shows it (a copy with display colors), or itself. */
export function darkElement(el) {
  const stroke = el.strokeColor;
  const paper = paperOf(el);
  const fill = el.fillColor ? darkInk(el.fillColor) : el.fillColor;
  // Ink on a paper that stays light keeps its true color: it is read against the paper.
  const paperStaysLight = paper && darkInk(paper) === paper;
  const ink = stroke && !paperStaysLight ? darkInk(stroke) : stroke;
  if (ink === stroke && fill === el.fillColor) return el;
  return { ...el, strokeColor: ink, fillColor: fill };
}

// ---- the page's theme ---------------------------------------------------------------------

let dark = false;
let memory = 'system'; // the choice when storage is blocked
const shown = new WeakMap();
const listeners = new Set();

/** The element as this page draws it: the render.js hook (exports never call it). */
export function displayed(el) {
  if (!dark || !el) return el;
  let out = shown.get(el);
  if (!out) {
    out = darkElement(el);
    shown.set(el, out);
  }
  return out;
}

/** The theme chosen in this browser: 'system', 'light' or 'dark'. */
export function themeChoice() {
  try {
    const v = localStorage.getItem(KEY);
    return THEMES.includes(v) ? v : 'system';
  } catch {
    return memory;
  }
}

function systemDark() {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Puts the chosen theme in force: data-theme on <html>, the canvas colors, the listeners. */
export function applyTheme() {
  const choice = themeChoice();
  const next = choice === 'dark' || (choice === 'system' && systemDark());
  document.documentElement.dataset.theme = next ? 'dark' : 'light';
  if (next === dark) return;
  dark = next;
  for (const fn of listeners) fn(dark);
}

/** Stores a theme choice ('system', 'light' or 'dark') and applies it. */
export function setTheme(choice) {
  memory = choice; // when storage is blocked, the choice lasts for this page
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // kept in memory above
  }
  applyTheme();
}

/** The next choice in the menu's cycle: system -> light -> dark -> system. */
export function nextTheme() {
  return THEMES[(THEMES.indexOf(themeChoice()) + 1) % THEMES.length];
}

/** fn(dark) on every change of the theme in force (the system's, or the menu's). */
export function onThemeChange(fn) {
  listeners.add(fn);
}

export function isDark() {
  return dark;
}

if (typeof document !== 'undefined') {
  applyTheme();
  if (typeof matchMedia === 'function') {
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
  }
}

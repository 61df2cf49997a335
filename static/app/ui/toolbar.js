// The toolbar: tools (built from tools/index.js, so it never names an element type), colors
// (with a custom one), stroke widths, the fill choice, undo and redo, and the selection's
// actions (front, back, duplicate, delete) while something is selected. Every control is a
// real button with a label and a title, so it works from the keyboard too; the colors and the
// widths are each one Tab stop, the arrow keys moving within (a roving tabindex).

import { TOOL_INFO } from '../tools/index.js';

export const COLORS = [
  ['#1e1e1e', 'Black'], ['#e03131', 'Red'], ['#2f9e44', 'Green'], ['#1971c2', 'Blue'],
  ['#f08c00', 'Orange'], ['#9c36b5', 'Purple'], ['#facc15', 'Yellow'],
];

/** Stroke widths with the font size the text tools use for each. */
export const WIDTHS = [
  { width: 2, font: 18, label: 'Thin' },
  { width: 5, font: 28, label: 'Medium' },
  { width: 10, font: 44, label: 'Thick' },
];

function svgIcon(body) {
  return `<svg viewBox="0 0 24 24" aria-hidden="true">${body}</svg>`;
}

/**
 * A radio group of buttons with one Tab stop: the checked one (or the first). Arrow keys,
 * Home and End move to a sibling and pick it, as radio buttons do.
 */
export function roving(box, pick) {
  const items = () => [...box.querySelectorAll('[role="radio"]:not(:disabled)')];
  box.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    let next = null;
    if (step) next = list[(i + step + list.length) % list.length];
    else if (e.key === 'Home') next = list[0];
    else if (e.key === 'End') next = list[list.length - 1];
    else return;
    // The board's own arrow keys (nudge, pan) must not act as well.
    e.preventDefault();
    e.stopPropagation();
    next.focus();
    pick(next);
  });
  return {
    /** One Tab stop: the checked item, else the first. */
    sync() {
      const list = [...box.querySelectorAll('[role="radio"]')];
      const on = list.find((b) => b.getAttribute('aria-checked') === 'true') || list[0];
      for (const b of list) b.tabIndex = b === on ? 0 : -1;
    },
  };
}

function button(cls, label, title) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.title = title;
  b.setAttribute('aria-label', label);
  return b;
}

/**
 * @param {object} on {tool(name), color(c), width(i), fill(bool), undo(), redo(),
 *   front(), back(), duplicate(), remove()}
 */
export function buildToolbar(on) {
  const toolBox = document.getElementById('tool-buttons');
  const toolButtons = new Map();
  for (const info of TOOL_INFO) {
    const b = button('tool', info.label, `${info.label} (${info.key.toUpperCase()})`);
    b.dataset.tool = info.name;
    b.setAttribute('aria-pressed', 'false');
    b.innerHTML = svgIcon(info.icon); // our own constant markup
    b.addEventListener('click', () => on.tool(info.name));
    toolBox.append(b);
    toolButtons.set(info.name, b);
  }

  const styleBtn = document.getElementById('style-btn');
  const styleGroup = document.getElementById('style-group');
  function closeStyle() {
    styleGroup.classList.remove('open');
    styleBtn.setAttribute('aria-expanded', 'false');
  }
  // The phone's pop-up closes once a color is picked (widths and fill keep it open).
  function pickColor(color) {
    on.color(color);
    if (styleGroup.classList.contains('open')) {
      closeStyle();
      if (styleGroup.contains(document.activeElement)) styleBtn.focus();
    }
  }

  const colorBox = document.getElementById('colors');
  const colorButtons = [];
  for (const [color, label] of COLORS) {
    const b = button('color', label, label);
    b.dataset.color = color;
    b.setAttribute('role', 'radio');
    b.style.setProperty('--c', color);
    b.addEventListener('click', () => pickColor(color));
    colorBox.append(b);
    colorButtons.push(b);
  }
  const custom = document.getElementById('custom-color');
  custom.addEventListener('change', () => pickColor(custom.value));

  const widthBox = document.getElementById('widths');
  const widthButtons = [];
  WIDTHS.forEach((w, i) => {
    const b = button('width', `${w.label} stroke`, `${w.label} (${i + 1})`);
    b.setAttribute('role', 'radio');
    const dot = document.createElement('span');
    dot.className = 'width-dot';
    dot.style.setProperty('--w', `${Math.min(16, w.width + 2)}px`);
    b.append(dot);
    b.addEventListener('click', () => on.width(i));
    widthBox.append(b);
    widthButtons.push(b);
  });

  const colorKeys = roving(colorBox, (b) => pickColor(b.dataset.color));
  const widthKeys = roving(widthBox, (b) => on.width(widthButtons.indexOf(b)));

  const fillBtn = document.getElementById('fill-btn');
  fillBtn.addEventListener('click', () => on.fill(fillBtn.getAttribute('aria-pressed') !== 'true'));

  styleBtn.addEventListener('click', () => {
    const open = !styleGroup.classList.contains('open');
    styleGroup.classList.toggle('open', open);
    styleBtn.setAttribute('aria-expanded', String(open));
  });
  // A press anywhere else (drawing on the board, another tool) closes it; so does Escape
  // inside it, focus going back to its button.
  document.addEventListener('pointerdown', (e) => {
    if (styleGroup.classList.contains('open') && !styleGroup.contains(e.target) &&
        !styleBtn.contains(e.target)) closeStyle();
  }, true);
  styleGroup.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !styleGroup.classList.contains('open')) return;
    closeStyle();
    styleBtn.focus();
  });

  const undoBtn = document.getElementById('undo-btn');
  const redoBtn = document.getElementById('redo-btn');
  undoBtn.addEventListener('click', on.undo);
  redoBtn.addEventListener('click', on.redo);

  const selBar = document.getElementById('selection-bar');
  const selCount = document.getElementById('selection-count');
  for (const [id, fn] of [['front-btn', on.front], ['back-btn', on.back],
    ['duplicate-btn', on.duplicate], ['delete-btn', on.remove]]) {
    document.getElementById(id).addEventListener('click', fn);
  }

  return {
    showTool(name) {
      for (const [n, b] of toolButtons) {
        b.classList.toggle('active', n === name);
        b.setAttribute('aria-pressed', String(n === name));
      }
    },
    /** style: {color, widthIndex, fill} */
    showStyle(style) {
      for (const b of colorButtons) {
        const onIt = b.dataset.color.toLowerCase() === style.color.toLowerCase();
        b.classList.toggle('active', onIt);
        b.setAttribute('aria-checked', String(onIt));
      }
      custom.value = style.color.length === 7 ? style.color : custom.value;
      widthButtons.forEach((b, i) => {
        b.classList.toggle('active', i === style.widthIndex);
        b.setAttribute('aria-checked', String(i === style.widthIndex));
        b.style.setProperty('--c', style.color);
      });
      colorKeys.sync();
      widthKeys.sync();
      fillBtn.setAttribute('aria-pressed', String(Boolean(style.fill)));
      fillBtn.style.setProperty('--c', style.color);
      document.getElementById('style-swatch').style.setProperty('--c', style.color);
    },
    showHistory(canUndo, canRedo) {
      undoBtn.disabled = !canUndo;
      redoBtn.disabled = !canRedo;
    },
    /** The selection's actions show while something is selected. */
    showSelection(ids) {
      selBar.hidden = ids.length === 0;
      selCount.textContent = ids.length === 1 ? '1 selected' : `${ids.length} selected`;
    },
    /**
     * Issue 14: refused by role or lock ('' when not). The tools, style and undo go off and
     * a "View only" badge says why; panning and zooming still work.
     */
    showViewOnly(reason) {
      const off = Boolean(reason);
      for (const b of toolButtons.values()) b.disabled = off;
      for (const b of [...colorButtons, ...widthButtons, fillBtn, styleBtn, custom]) b.disabled = off;
      document.getElementById('toolbar').classList.toggle('view-only', off);
      const badge = document.getElementById('view-only');
      badge.hidden = !off;
      badge.title = reason;
      if (off) {
        undoBtn.disabled = true;
        redoBtn.disabled = true;
        this.closeStyle();
      }
    },
    closeStyle,
  };
}

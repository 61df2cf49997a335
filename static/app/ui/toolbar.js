// The toolbar: tools, colors (with a custom one), stroke widths, undo and redo. Every control
// is a real button with a label and a title, so it works from the keyboard too.

import { TOOL_INFO } from '../tools/index.js';

const ICONS = {
  pen: '<path d="M4 20c3-1 4-3 6-6l7.5-7.5a2.1 2.1 0 013 3L13 17c-3 2-5 3-9 3z"/>',
  line: '<path d="M5 19L19 5"/>',
  arrow: '<path d="M5 19L19 5M10 5h9v9"/>',
  rect: '<rect x="4" y="6" width="16" height="12" rx="1"/>',
  ellipse: '<ellipse cx="12" cy="12" rx="8.5" ry="6.5"/>',
  text: '<path d="M5 6V4h14v2M12 4v16M9 20h6"/>',
  eraser: '<path d="M8 20h12M4.5 15.5l9-9a2 2 0 012.8 0l2.2 2.2a2 2 0 010 2.8L11 19H8z"/>',
};

export const COLORS = [
  ['#1e1e1e', 'Black'], ['#e03131', 'Red'], ['#2f9e44', 'Green'], ['#1971c2', 'Blue'],
  ['#f08c00', 'Orange'], ['#9c36b5', 'Purple'],
];

/** Stroke widths with the font size the text tool uses for each. */
export const WIDTHS = [
  { width: 2, font: 18, label: 'Thin' },
  { width: 5, font: 28, label: 'Medium' },
  { width: 10, font: 44, label: 'Thick' },
];

function svgIcon(body) {
  return `<svg viewBox="0 0 24 24" aria-hidden="true">${body}</svg>`;
}

export function buildToolbar({ onTool, onStyle, onUndo, onRedo }) {
  const toolBox = document.getElementById('tool-buttons');
  const toolButtons = new Map();
  for (const info of TOOL_INFO) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'tool';
    b.dataset.tool = info.name;
    b.title = `${info.label} (${info.key.toUpperCase()})`;
    b.setAttribute('aria-label', info.label);
    b.setAttribute('aria-pressed', 'false');
    b.innerHTML = svgIcon(ICONS[info.name]); // our own constant markup
    b.addEventListener('click', () => onTool(info.name));
    toolBox.append(b);
    toolButtons.set(info.name, b);
  }

  const colorBox = document.getElementById('colors');
  const colorButtons = [];
  for (const [color, label] of COLORS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'color';
    b.dataset.color = color;
    b.title = label;
    b.setAttribute('role', 'radio');
    b.setAttribute('aria-label', label);
    b.style.setProperty('--c', color);
    b.addEventListener('click', () => onStyle({ color }));
    colorBox.append(b);
    colorButtons.push(b);
  }
  const custom = document.getElementById('custom-color');
  custom.addEventListener('input', () => onStyle({ color: custom.value }));

  const widthBox = document.getElementById('widths');
  const widthButtons = [];
  WIDTHS.forEach((w, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'width';
    b.title = `${w.label} (${i + 1})`;
    b.setAttribute('role', 'radio');
    b.setAttribute('aria-label', `${w.label} stroke`);
    const dot = document.createElement('span');
    dot.className = 'width-dot';
    dot.style.setProperty('--w', `${Math.min(16, w.width + 2)}px`);
    b.append(dot);
    b.addEventListener('click', () => onStyle({ widthIndex: i }));
    widthBox.append(b);
    widthButtons.push(b);
  });

  const styleBtn = document.getElementById('style-btn');
  const styleGroup = document.getElementById('style-group');
  styleBtn.addEventListener('click', () => {
    const open = !styleGroup.classList.contains('open');
    styleGroup.classList.toggle('open', open);
    styleBtn.setAttribute('aria-expanded', String(open));
  });

  const undoBtn = document.getElementById('undo-btn');
  const redoBtn = document.getElementById('redo-btn');
  undoBtn.addEventListener('click', onUndo);
  redoBtn.addEventListener('click', onRedo);

  return {
    showTool(name) {
      for (const [n, b] of toolButtons) {
        b.classList.toggle('active', n === name);
        b.setAttribute('aria-pressed', String(n === name));
      }
    },
    showStyle(style) {
      for (const b of colorButtons) {
        const on = b.dataset.color.toLowerCase() === style.color.toLowerCase();
        b.classList.toggle('active', on);
        b.setAttribute('aria-checked', String(on));
      }
      custom.value = style.color.length === 7 ? style.color : custom.value;
      widthButtons.forEach((b, i) => {
        b.classList.toggle('active', i === style.widthIndex);
        b.setAttribute('aria-checked', String(i === style.widthIndex));
        b.style.setProperty('--c', style.color);
      });
      document.getElementById('style-swatch').style.setProperty('--c', style.color);
    },
    showHistory(canUndo, canRedo) {
      undoBtn.disabled = !canUndo;
      redoBtn.disabled = !canRedo;
    },
    closeStyle() {
      styleGroup.classList.remove('open');
      styleBtn.setAttribute('aria-expanded', 'false');
    },
  };
}

// The editor for texts and sticky notes: a textarea over the canvas at the element's place,
// in its font size and color (over a note: the note's size and paper). Enter makes a new line;
// Escape, Ctrl+Enter or a click elsewhere commits. It edits new elements and existing ones
// alike: the page says what to do with the text.

import { LIMITS } from '../elements/index.js';
import { FONT_FAMILY, LINE_HEIGHT } from '../elements/lettering.js';
import { STICKY_PAPER } from '../elements/sticky.js';
import { displayed } from '../theme.js';

/** The editor's border (app.css .text-editor): its text starts this far inside its box. */
const BORDER_PX = 1;

let measurer = null;

/**
 * How far above the canvas text's top (y, textBaseline 'top') the editor's box must start so
 * that its glyphs sit exactly on the painted ones. The canvas puts the em box's top at y; the
 * textarea centres the font's ascent + descent in a line LINE_HEIGHT high, inside its border.
 * Without this the text jumped about 6 px up and 1 px left when the editor closed.
 */
export function editorLift(fontPx) {
  const halfLeading = (fontPx * LINE_HEIGHT) / 2;
  if (!measurer) measurer = document.createElement('canvas').getContext('2d');
  measurer.font = `${fontPx}px ${FONT_FAMILY}`;
  measurer.textBaseline = 'alphabetic';
  const m = measurer.measureText('Hg');
  const ascent = m.fontBoundingBoxAscent;
  const descent = m.fontBoundingBoxDescent;
  const em = m.emHeightAscent;
  if (![ascent, descent, em].every(Number.isFinite)) return halfLeading - fontPx / 2 + BORDER_PX;
  // Baselines equal: top + BORDER + (L - A - D) / 2 + A = y + emAscent.
  return BORDER_PX + halfLeading - (ascent + descent) / 2 + ascent - em;
}

/**
 * @param {object} view the board's View (for placing the editor on screen)
 * @param {HTMLCanvasElement} canvas the input canvas, whose presses must not steal focus
 */
export function buildTextEditor(view, canvas) {
  const editor = document.getElementById('text-editor');
  editor.maxLength = LIMITS.MAX_TEXT_CHARS;
  let done = null;

  function commit() {
    if (editor.hidden || !done) return;
    const text = editor.value.replace(/\s+$/, '');
    editor.hidden = true;
    editor.classList.remove('note');
    const finish = done;
    done = null;
    finish(text);
  }

  /** Opens over `el` (its x, y, fontSize, strokeColor, and width/height/fillColor if any). */
  function open(el, onDone) {
    if (!editor.hidden) commit();
    done = onDone;
    const [sx, sy] = view.toScreen(el.x, el.y);
    const s = view.scale;
    const note = typeof el.width === 'number';
    // A text's glyphs must not move when the editor gives way to the canvas (see editorLift);
    // a note's box is its paper, placed as is.
    editor.style.left = `${note ? sx : sx - BORDER_PX}px`;
    editor.style.top = `${note ? sy : sy - editorLift(el.fontSize * s)}px`;
    editor.style.fontSize = `${el.fontSize * s}px`;
    // The colors the canvas will show once typing ends (dark mode's ink and paper, theme.js).
    const look = displayed(el);
    editor.style.color = look.strokeColor;
    editor.classList.toggle('note', note);
    if (note) {
      editor.style.width = `${Math.abs(el.width) * s}px`;
      editor.style.height = `${Math.abs(el.height) * s}px`;
      editor.style.padding = `${Math.max(4, el.fontSize * 0.4) * s}px`;
      editor.style.background = look.fillColor || STICKY_PAPER;
    } else {
      editor.style.width = '';
      editor.style.height = '';
      editor.style.padding = '';
      editor.style.background = '';
    }
    editor.value = el.text || '';
    editor.hidden = false;
    // The canvas cancels mousedown (below), so focus stays here once the pointer event ends.
    editor.focus();
    editor.select();
  }

  editor.addEventListener('blur', commit);
  canvas.addEventListener('mousedown', (e) => e.preventDefault());
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      commit();
    }
    e.stopPropagation(); // board shortcuts must not fire while typing
  });
  editor.addEventListener('input', () => {
    if (editor.classList.contains('note')) return;
    editor.style.height = 'auto';
    editor.style.height = `${editor.scrollHeight}px`;
  });

  return { open, commit };
}

// The text tool's editor: a textarea over the canvas at the clicked point, in the board's
// font size and color. Enter makes a new line; Escape, Ctrl+Enter or a click elsewhere commits.

import { LIMITS } from '../protocol.js';

/**
 * @param {object} view the board's View (for placing the editor on screen)
 * @param {HTMLCanvasElement} canvas the input canvas, whose presses must not steal focus
 * @param {(at: {x, y, fontSize, color}, text: string) => void} onCommit
 */
export function buildTextEditor(view, canvas, onCommit) {
  const editor = document.getElementById('text-editor');
  editor.maxLength = LIMITS.MAX_TEXT_CHARS;
  let at = null;

  function commit() {
    if (editor.hidden || !at) return;
    const text = editor.value.replace(/\s+$/, '');
    editor.hidden = true;
    const where = at;
    at = null;
    if (text.trim()) onCommit(where, text);
  }

  function open(x, y, fontSize, color) {
    if (!editor.hidden) commit();
    at = { x, y, fontSize, color };
    const [sx, sy] = view.toScreen(x, y);
    editor.style.left = `${sx}px`;
    editor.style.top = `${sy}px`;
    editor.style.fontSize = `${fontSize * view.scale}px`;
    editor.style.color = color;
    editor.value = '';
    editor.hidden = false;
    // The canvas cancels mousedown (below), so focus stays here once the pointer event ends.
    editor.focus();
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
    editor.style.height = 'auto';
    editor.style.height = `${editor.scrollHeight}px`;
  });

  return { open, commit };
}

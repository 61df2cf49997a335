// Board shortcuts. One table, SHORTCUTS, says what each key does and is what the help sheet
// (`?`, ui/help.js) lists, so the two cannot drift; the tool keys come from the tool list. Copy,
// cut and paste are left to the browser, whose clipboard events clipboard.js handles (so
// Ctrl+C/X/V are never cancelled here): their row is listed, never run.
//
// A key is written 'mod+shift+z': `mod` is Ctrl (Cmd on a Mac), then shift, then the key as
// KeyboardEvent.key names it in lower case ('arrowleft', '?', ']'). The first row holding the
// pressed key whose `when` holds runs.

import { openHelp } from './ui/help.js';
import { TOOL_INFO } from './tools/index.js';

/** Arrow keys nudge the selection by this many board pixels (with Shift: NUDGE_FAR). */
const NUDGE = 1;
const NUDGE_FAR = 10;
/** With nothing selected the arrows pan the view this many screen pixels (Shift: PAN_FAR). */
const PAN = 40;
const PAN_FAR = 200;
const ARROWS = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };
const ARROW_KEYS = Object.keys(ARROWS);
const SHIFT_ARROW_KEYS = ARROW_KEYS.map((k) => `shift+${k}`);
/** Keys whose name changes with Shift on some layouts, by their position (e.code). */
const BY_CODE = { BracketRight: ']', BracketLeft: '[' };

const selected = (p) => p.controller.selection.size > 0;
const nudge = (far) => (p, e, key) => {
  const [dx, dy] = ARROWS[key.replace('shift+', '')];
  const step = far ? NUDGE_FAR : NUDGE;
  p.controller.nudge(dx * step, dy * step);
};
// Nothing selected: the arrows look around the board (the view moves the other way).
const pan = (far) => (p, e, key) => {
  const [dx, dy] = ARROWS[key.replace('shift+', '')];
  const step = far ? PAN_FAR : PAN;
  p.panBy(-dx * step, -dy * step);
};

/**
 * Every shortcut: {group, keys, label, run(page, event, key), when(page)?, native?, hold?}.
 * `native`: the browser's own (listed only); `hold`: held down, handled apart (Space).
 */
export const SHORTCUTS = [
  ...TOOL_INFO.map((info) => ({
    group: 'Tools', keys: [info.key], label: info.label, run: (p) => p.setTool(info.name),
  })),
  { group: 'Tools', keys: ['1', '2', '3'], label: 'Thin, medium or thick stroke',
    run: (p, e, key) => p.setWidth(Number(key) - 1) },
  { group: 'Edit', keys: ['mod+z'], label: 'Undo', run: (p) => p.controller.undo() },
  { group: 'Edit', keys: ['mod+shift+z', 'mod+y'], label: 'Redo', run: (p) => p.controller.redo() },
  { group: 'Edit', keys: ['mod+a'], label: 'Select all',
    run: (p) => {
      p.useSelect();
      p.controller.selectAll();
    } },
  { group: 'Edit', keys: ['mod+d'], label: 'Duplicate the selection',
    run: (p) => p.controller.duplicate() },
  { group: 'Edit', keys: ['mod+c', 'mod+x', 'mod+v'], label: 'Copy, cut, paste', native: true },
  { group: 'Edit', keys: ['mod+shift+]'], label: 'Bring to front',
    run: (p) => p.controller.order('front') },
  { group: 'Edit', keys: ['mod+shift+['], label: 'Send to back',
    run: (p) => p.controller.order('back') },
  { group: 'Edit', keys: ['delete', 'backspace'], label: 'Delete the selection', when: selected,
    run: (p) => p.controller.deleteSelection() },
  { group: 'Edit', keys: ARROW_KEYS, label: 'Nudge the selection 1 px', when: selected,
    run: nudge(false) },
  { group: 'Edit', keys: SHIFT_ARROW_KEYS, label: 'Nudge the selection 10 px', when: selected,
    run: nudge(true) },
  { group: 'Edit', keys: ['escape'], label: 'Cancel the shape being drawn, or clear the selection',
    run: (p) => {
      const c = p.controller;
      const tool = c.tool;
      if (tool.active) c.apply(tool.cancel(c.toolCtx()));
      else c.clearSelection();
      p.closeStyle();
    } },
  { group: 'View', keys: ARROW_KEYS, label: 'Pan (nothing selected)', when: (p) => p.panBy,
    run: pan(false) },
  { group: 'View', keys: SHIFT_ARROW_KEYS, label: 'Pan further', when: (p) => p.panBy,
    run: pan(true) },
  { group: 'View', keys: ['space'], label: 'Hold and drag to pan', hold: true },
  { group: 'View', keys: ['+', '='], label: 'Zoom in', run: (p) => p.zoomBy(1.25) },
  { group: 'View', keys: ['-'], label: 'Zoom out', run: (p) => p.zoomBy(0.8) },
  { group: 'View', keys: ['0'], label: 'Zoom to 100 %', run: (p) => p.resetZoom() },
  { group: 'Board', keys: ['s'], label: 'Share this board', run: (p) => p.share() },
  // ui/pages.js turns the pages (it knows the page bar); listed here, never run.
  { group: 'Board', keys: ['pageup', 'pagedown'], label: 'Previous or next page',
    native: true },
  { group: 'Board', keys: ['?'], label: 'These shortcuts', run: () => openHelp(SHORTCUTS) },
];

/** The names a key press goes by, most exact first ('mod+shift+}', then 'mod+}', 'mod+shift+]'). */
export function keyNames(e) {
  const key = e.key.toLowerCase();
  const mod = e.ctrlKey || e.metaKey ? 'mod+' : '';
  const shift = e.shiftKey ? 'shift+' : '';
  const names = [`${mod}${shift}${key}`];
  // A character typed with Shift ('?', '+', '}') is a key of its own; a Shift+letter is not.
  if (shift && key.length === 1 && !/[a-z0-9]/.test(key)) names.push(`${mod}${key}`);
  if (BY_CODE[e.code]) names.push(`${mod}${shift}${BY_CODE[e.code]}`);
  return names;
}

/** The row a press runs, or null. */
export function shortcutFor(names, page) {
  for (const name of names) {
    for (const row of SHORTCUTS) {
      if (row.native || row.hold || !row.keys.includes(name)) continue;
      if (row.when && !row.when(page)) continue;
      return { row, key: name };
    }
  }
  return null;
}

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}

/**
 * @param {object} page {controller, canvas, setTool(name), zoomBy(f), resetZoom(), share(),
 *   setWidth(i), closeStyle(), useSelect(), panBy(dx, dy), panReady(on)}
 */
export function bindKeyboard(page) {
  window.addEventListener('keydown', (e) => {
    const t = e.target;
    if (typing(t) || document.querySelector('dialog[open]')) return;
    if (e.altKey && !(e.ctrlKey || e.metaKey)) return;
    if (e.key === ' ' && !e.ctrlKey && !e.metaKey) {
      page.panReady(true);
      if (t === document.body || t === page.canvas) e.preventDefault();
      return;
    }
    const hit = shortcutFor(keyNames(e), page);
    if (!hit) return;
    hit.row.run(page, e, hit.key);
    e.preventDefault();
  });
  window.addEventListener('keyup', (e) => {
    if (e.key === ' ') page.panReady(false);
  });
}

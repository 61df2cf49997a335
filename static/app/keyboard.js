// Board shortcuts. One table of key -> action; the tool keys come from the tool list. Copy,
// cut and paste are left to the browser, whose clipboard events clipboard.js handles (so
// Ctrl+C/X/V are never cancelled here).

import { TOOL_INFO } from './tools/index.js';

/** Arrow keys nudge the selection by this many board pixels (with Shift: NUDGE_FAR). */
const NUDGE = 1;
const NUDGE_FAR = 10;
const ARROWS = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}

/**
 * @param {object} page {controller, input, zoomBy(f), resetZoom(), share(), setWidth(i),
 *   closeStyle(), panReady(on)}
 */
export function bindKeyboard(page) {
  const c = page.controller;

  function withCtrl(e, key) {
    if (key === 'z' && !e.shiftKey) c.undo();
    else if ((key === 'z' && e.shiftKey) || key === 'y') c.redo();
    else if (key === 'a') {
      page.useSelect();
      c.selectAll();
    } else if (key === 'd') c.duplicate();
    else if (e.shiftKey && (e.code === 'BracketRight' || key === ']' || key === '}')) c.order('front');
    else if (e.shiftKey && (e.code === 'BracketLeft' || key === '[' || key === '{')) c.order('back');
    else return false;
    return true;
  }

  function plain(e, key) {
    if (ARROWS[key] && c.selection.size) {
      const step = e.shiftKey ? NUDGE_FAR : NUDGE;
      c.nudge(ARROWS[key][0] * step, ARROWS[key][1] * step);
      return true;
    }
    if ((key === 'delete' || key === 'backspace') && c.selection.size) {
      c.deleteSelection();
      return true;
    }
    if (key === 'escape') {
      const tool = c.tool;
      if (tool.active) c.apply(tool.cancel(c.toolCtx()));
      else c.clearSelection();
      page.closeStyle();
      return true;
    }
    if (e.shiftKey) return false;
    const info = TOOL_INFO.find((i) => i.key === key);
    if (info) page.setTool(info.name);
    else if (['1', '2', '3'].includes(key)) page.setWidth(Number(key) - 1);
    else if (key === '+' || key === '=') page.zoomBy(1.25);
    else if (key === '-') page.zoomBy(0.8);
    else if (key === '0') page.resetZoom();
    else if (key === 's') page.share();
    else return false;
    return true;
  }

  window.addEventListener('keydown', (e) => {
    const t = e.target;
    if (typing(t) || document.querySelector('dialog[open]')) return;
    const key = e.key.toLowerCase();
    if (e.ctrlKey || e.metaKey) {
      if (withCtrl(e, key)) e.preventDefault();
      return;
    }
    if (e.altKey) return;
    if (key === ' ') {
      page.panReady(true);
      if (t === document.body || t === page.canvas) e.preventDefault();
      return;
    }
    if (plain(e, key)) e.preventDefault();
  });
  window.addEventListener('keyup', (e) => {
    if (e.key === ' ') page.panReady(false);
  });
}

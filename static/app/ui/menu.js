// The board menu: downloads (the PDF handout in A4 or Letter among them), JSON export and
// import, history with restore, the lesson timeline, order of the selection, the theme (system,
// light, dark), the shortcuts, and clear. HTTP goes through api.js.
//
// From the keyboard, as a menu button: Enter, Space or ArrowDown on the button opens it on the
// first item (ArrowUp: the last); ArrowUp/Down, Home and End move; Enter or Space picks;
// Escape or Tab closes it, and focus goes back to the button (a dialog an item opens gives it
// back there too when it closes).

import { SHORTCUTS } from '../keyboard.js';
import { nextTheme, onThemeChange, setTheme, themeChoice } from '../theme.js';
import { confirmAction, toast } from './dialogs.js';
import { openHelp } from './help.js';

const THEME_LABELS = { system: 'Theme: as the system', light: 'Theme: light', dark: 'Theme: dark' };

/** @param {object} api from boardApi(roomId)  @param {object} actions the page's handlers */
export function buildMenu(roomId, api, actions) {
  const btn = document.getElementById('menu-btn');
  const menu = document.getElementById('menu');

  const items = () => [...menu.querySelectorAll('[role^="menuitem"]:not([hidden])')];
  for (const item of menu.querySelectorAll('[role^="menuitem"]')) item.tabIndex = -1;

  /** Opens (on the first item, or the last with at='last') or closes the menu. */
  function setOpen(open, at = 'first') {
    menu.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open) {
      const list = items();
      (at === 'last' ? list[list.length - 1] : list[0]).focus();
    }
  }
  function close() {
    const had = menu.contains(document.activeElement);
    setOpen(false);
    if (had) btn.focus();
  }
  btn.addEventListener('click', () => setOpen(menu.hidden));
  btn.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    e.stopPropagation(); // not a pan or a nudge of the board
    setOpen(true, e.key === 'ArrowUp' ? 'last' : 'first');
  });
  document.addEventListener('pointerdown', (e) => {
    if (!menu.hidden && !menu.contains(e.target) && !btn.contains(e.target)) setOpen(false);
  });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') list[(i + 1) % list.length].focus();
    else if (e.key === 'ArrowUp') list[(i - 1 + list.length) % list.length].focus();
    else if (e.key === 'Home') list[0].focus();
    else if (e.key === 'End') list[list.length - 1].focus();
    else if (e.key === 'Escape') close();
    else if (e.key === 'Tab') {
      close();
      return; // Tab goes on from the menu button
    } else return;
    e.preventDefault();
    e.stopPropagation(); // the board's shortcuts (arrows, Escape) stay out of the menu
  });

  const themeItem = menu.querySelector('[data-action="theme"]');
  const showTheme = () => {
    if (themeItem) themeItem.textContent = THEME_LABELS[themeChoice()];
  };
  showTheme();
  onThemeChange(showTheme);

  const fileInput = document.getElementById('import-file');
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    const res = await api.importBoard(await file.text());
    if (!res.ok) toast(`Import failed: ${res.error}`, 6000);
    else {
      const left = res.data.lockedDropped;
      toast(`Imported ${res.data.elements ?? ''} elements.` + (left
        ? ` ${left} locked element${left === 1 ? ' was' : 's were'} left out: only the teacher may lock.`
        : ''), left ? 6000 : undefined);
    }
  });

  async function showHistory() {
    const dialog = document.getElementById('history-dialog');
    const list = document.getElementById('history-list');
    const status = document.getElementById('history-status');
    list.replaceChildren();
    status.textContent = 'Loading…';
    dialog.showModal();
    const res = await api.versions();
    const versions = res.ok ? res.data.versions : null;
    if (!Array.isArray(versions)) {
      status.textContent = 'History is not available on this server.';
      return;
    }
    status.textContent = versions.length ? 'Restoring replaces the board for everyone; ' +
      'the current board is kept in the history too.' : 'No saved versions yet.';
    for (const v of versions) {
      const li = document.createElement('li');
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = new Date(v.time * 1000).toLocaleString();
      const what = document.createElement('span');
      what.className = 'muted';
      what.textContent = `${v.elements} elements${v.reason ? ` · ${v.reason}` : ''}`;
      const restore = document.createElement('button');
      restore.type = 'button';
      restore.className = 'btn';
      restore.textContent = 'Restore';
      restore.addEventListener('click', async () => {
        const done = await api.restore(v.id);
        if (done.ok) {
          dialog.close();
          toast('Version restored.');
        } else {
          toast(`Restore failed: ${done.error}`);
        }
      });
      li.append(when, what, restore);
      list.append(li);
    }
  }

  async function downloadPdf(paper) {
    toast('Making the handout…');
    const res = await api.exportPdf(paper, actions.exportPage && actions.exportPage());
    if (!res.ok) toast(`PDF handout failed: ${res.error}`);
    else actions.download(res.blob, `lanboard-${roomId}-${paper}.pdf`);
  }

  const handlers = {
    'export-png': actions.exportPng,
    'export-svg': async () => {
      const res = await api.exportSvg(actions.exportPage && actions.exportPage('svg'));
      if (!res.ok) toast(`SVG export failed: ${res.error}`);
      else actions.download(res.blob, `lanboard-${roomId}.svg`);
    },
    'export-json': async () => {
      const res = await api.exportJson();
      if (!res.ok) toast('JSON export is not available on this server.');
      else actions.download(res.blob, `${roomId}.json`);
    },
    // Issue 15: downloads of this page or of every page.
    'export-all-pages': () => actions.exportAllPages && actions.exportAllPages(),
    'pdf-a4': () => downloadPdf('a4'),
    'pdf-letter': () => downloadPdf('letter'),
    timeline: actions.timeline,
    // Issue 14: the teacher's console (the item shows for the teacher only).
    teacher: () => actions.teacher && actions.teacher(),
    'order-front': () => actions.order('front'),
    'order-back': () => actions.order('back'),
    'import-json': () => fileInput.click(),
    history: showHistory,
    fit: actions.fit,
    theme: () => {
      setTheme(nextTheme());
      showTheme();
      toast(`${THEME_LABELS[themeChoice()]}.`, 2000);
    },
    shortcuts: () => openHelp(SHORTCUTS),
    rename: actions.rename,
    clear: async () => {
      if (await confirmAction('Clear the whole board?',
        'This removes everything on the board for everyone, and cannot be undone here.',
        'Clear board')) actions.clear();
    },
  };
  for (const item of menu.querySelectorAll('[data-action]')) {
    item.addEventListener('click', () => {
      // Focus back on the menu button first, so a dialog the item opens returns it there.
      if (menu.contains(document.activeElement) || document.activeElement === document.body) {
        btn.focus();
      }
      setOpen(false);
      Promise.resolve(handlers[item.dataset.action]()).catch((err) => toast(String(err)));
    });
  }
}

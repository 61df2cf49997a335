// The board menu: downloads (the PDF handout in A4 or Letter among them), JSON export and
// import, history with restore, the lesson timeline, order of the selection, and clear.
// HTTP goes through api.js.

import { confirmAction, toast } from './dialogs.js';

/** @param {object} api from boardApi(roomId)  @param {object} actions the page's handlers */
export function buildMenu(roomId, api, actions) {
  const btn = document.getElementById('menu-btn');
  const menu = document.getElementById('menu');

  function setOpen(open) {
    menu.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector('button').focus();
  }
  btn.addEventListener('click', () => setOpen(menu.hidden));
  document.addEventListener('pointerdown', (e) => {
    if (!menu.hidden && !menu.contains(e.target) && !btn.contains(e.target)) setOpen(false);
  });
  menu.addEventListener('keydown', (e) => {
    const items = [...menu.querySelectorAll('button:not([hidden])')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length].focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length].focus();
    else if (e.key === 'Escape') {
      setOpen(false);
      btn.focus();
    } else return;
    e.preventDefault();
  });

  const fileInput = document.getElementById('import-file');
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    const res = await api.importBoard(await file.text());
    if (!res.ok) toast(`Import failed: ${res.error}`, 6000);
    else toast(`Imported ${res.data.elements ?? ''} elements.`);
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
      const res = await api.exportSvg(actions.exportPage && actions.exportPage());
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
    rename: actions.rename,
    clear: async () => {
      if (await confirmAction('Clear the whole board?',
        'This removes everything on the board for everyone, and cannot be undone here.',
        'Clear board')) actions.clear();
    },
  };
  for (const item of menu.querySelectorAll('[data-action]')) {
    item.addEventListener('click', () => {
      setOpen(false);
      Promise.resolve(handlers[item.dataset.action]()).catch((err) => toast(String(err)));
    });
  }
}

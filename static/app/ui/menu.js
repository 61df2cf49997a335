// The board menu: downloads, JSON export and import, history with restore, and clear.

import { confirmAction, toast } from './dialogs.js';

async function errorMessage(res) {
  try {
    const body = await res.json();
    return body.message || body.error || `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export function buildMenu(roomId, actions) {
  const btn = document.getElementById('menu-btn');
  const menu = document.getElementById('menu');
  const api = `/api/rooms/${encodeURIComponent(roomId)}`;

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
    const items = [...menu.querySelectorAll('button')];
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
    try {
      const res = await fetch(`${api}/import`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: await file.text(),
      });
      if (!res.ok) {
        toast(`Import failed: ${await errorMessage(res)}`, 6000);
        return;
      }
      const body = await res.json();
      toast(`Imported ${body.elements ?? ''} elements.`);
    } catch (err) {
      toast(`Import failed: ${err}`);
    }
  });

  async function showHistory() {
    const dialog = document.getElementById('history-dialog');
    const list = document.getElementById('history-list');
    const status = document.getElementById('history-status');
    list.replaceChildren();
    status.textContent = 'Loading…';
    dialog.showModal();
    let versions = null;
    try {
      const res = await fetch(`${api}/versions`);
      if (res.ok) versions = (await res.json()).versions;
    } catch {
      versions = null;
    }
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
        // The server takes writes only as JSON from its own pages (a cross-site guard).
        const res = await fetch(`${api}/versions/${encodeURIComponent(v.id)}/restore`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
        }).catch(() => null);
        if (res && res.ok) {
          dialog.close();
          toast('Version restored.');
        } else {
          toast(`Restore failed: ${res ? await errorMessage(res) : 'no connection'}`);
        }
      });
      li.append(when, what, restore);
      list.append(li);
    }
  }

  const handlers = {
    'export-png': actions.exportPng,
    'export-svg': actions.exportSvg,
    'export-json': async () => {
      const res = await fetch(`${api}/export?format=json`).catch(() => null);
      if (!res || !res.ok) {
        toast('JSON export is not available on this server.');
        return;
      }
      actions.download(await res.blob(), `${roomId}.json`);
    },
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

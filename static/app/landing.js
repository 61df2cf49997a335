// The landing page: name, create, join, this server's boards (most recently used first, with
// their display names and live counts; the host deletes and restores them) and, when the
// discovery API answers, boards of other LANBoards on the network. All text goes in as text.
//
// Joining never creates a board by mistake: a code or name that matches no board asks
// "Create a new board X?" first. A direct link to /room/X still opens X at once.

import { writeHeaders } from './api.js';
import { boardSlug, cleanBoardName, findBoard, freeId, suggest } from './boards.js';
import { cleanUserId, isRoomId, randomRoomCode } from './protocol.js';
import { storedName, storeName } from './ui/dialogs.js';

const $ = (id) => document.getElementById(id);
const nameInput = $('name');
nameInput.value = storedName();
nameInput.addEventListener('change', () => {
  const name = cleanUserId(nameInput.value);
  nameInput.value = name;
  if (name) storeName(name);
});

/** The boards this server has, as /api/rooms last answered (refreshed every 5 s). */
let rooms = [];
/** ...and the ids of its deleted boards (a new board never takes one: its History stays). */
let deletedIds = [];
let refreshed = null;

function openBoard(id) {
  const name = cleanUserId(nameInput.value);
  if (name) storeName(name);
  const q = name ? `?name=${encodeURIComponent(name)}` : '';
  location.href = `/room/${encodeURIComponent(id)}${q}`;
}

/** The links this browser kept for a board it created (issue 14), or null. */
function keptLinks(id) {
  try {
    const links = JSON.parse(localStorage.getItem(`lanboard.links.${id}`) || 'null');
    return links && typeof links.teacher === 'string' ? links : null;
  } catch {
    return null;
  }
}

function teacherKey(id, links = keptLinks(id)) {
  if (!links) return '';
  try {
    return new URL(links.teacher, location.href).searchParams.get('key') || '';
  } catch {
    return '';
  }
}

/** The host machine itself: the server lets it delete any board (boardnames.py). */
const onHost = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);

/**
 * Issue 14: whoever creates a board becomes its teacher. The claim answers the three links
 * (201) when the board had no keys yet; this browser keeps them, and the board page finds
 * its teacher key there, so the key never sits in the address bar (or in a photo of the
 * projector). A board someone already claimed (409), or a server without roles, opens as
 * before. Answers {links, link}: `link` the teacher link when it could not be kept (private
 * mode), else null.
 */
async function claimBoard(id) {
  let links;
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(id)}/claim`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    });
    if (res.status !== 201) return { links: null, link: null };
    links = await res.json();
  } catch {
    return { links: null, link: null };
  }
  if (!links || typeof links.teacher !== 'string') return { links: null, link: null };
  try {
    localStorage.setItem(`lanboard.links.${id}`, JSON.stringify(links));
    return { links, link: null };
  } catch {
    return { links, link: new URL(links.teacher, location.href) };
  }
}

/** Keeps the display name with the board (the id is only its address). */
async function nameBoard(id, name, key) {
  try {
    await fetch(`/api/rooms/${encodeURIComponent(id)}/name`, {
      method: 'POST', headers: writeHeaders({ key }), body: JSON.stringify({ name }),
    });
  } catch {
    // the board works without; its id shows instead
  }
}

/** Creates a board from what was typed (a display name, or nothing) and opens it. */
async function createBoard(typed) {
  const name = cleanBoardName(typed);
  await (refreshed || refreshBoards());
  const taken = new Set([...rooms.map((r) => r.id), ...deletedIds]);
  const id = freeId(boardSlug(name) || randomRoomCode(), taken);
  const { links, link } = await claimBoard(id);
  if (name && name !== id) await nameBoard(id, name, teacherKey(id, links));
  if (!link || link.origin !== location.origin) {
    openBoard(id);
    return;
  }
  const you = cleanUserId(nameInput.value);
  if (you) link.searchParams.set('name', you);
  location.href = `${link.pathname}${link.search}`;
}

$('create-form').addEventListener('submit', (e) => {
  e.preventDefault();
  createBoard($('create-name').value);
});

// ---- joining: suggestions as you type, and a question before a new board ---------------

const joinInput = $('join-code');
const joinError = $('join-error');
const confirmBox = $('join-confirm');

function typedCode() {
  const raw = joinInput.value.trim();
  // Accept a pasted link too: take what follows /room/.
  const match = raw.match(/\/room\/([^/?#]+)/);
  return match ? decodeURIComponent(match[1]) : raw;
}

function showSuggestions() {
  const found = suggest(rooms, typedCode());
  $('join-suggestions').replaceChildren(...found.map((r) => boardItem(r, false)));
  $('join-suggestions-title').hidden = found.length === 0;
}

joinInput.addEventListener('input', () => {
  confirmBox.hidden = true;
  joinError.hidden = true;
  showSuggestions();
});

$('join-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const typed = typedCode();
  joinError.hidden = true;
  if (!typed) return;
  await (refreshed || refreshBoards());
  const found = findBoard(rooms, typed);
  if (found) {
    openBoard(found.id);
    return;
  }
  const id = isRoomId(typed) ? typed : boardSlug(typed);
  if (!id) {
    joinError.textContent = 'A board code is letters, digits, - or _; a name needs one of them.';
    joinError.hidden = false;
    return;
  }
  // No such board: a mistyped code would otherwise open an empty board, alone.
  $('join-confirm-text').textContent = `There is no board “${typed}” on this server. ` +
    `Create a new board “${typed}”?`;
  confirmBox.hidden = false;
  $('join-create').focus();
});

$('join-create').addEventListener('click', () => {
  confirmBox.hidden = true;
  createBoard(typedCode());
});
$('join-cancel').addEventListener('click', () => {
  confirmBox.hidden = true;
  joinInput.focus();
});

// ---- the lists ----------------------------------------------------------------------------

function badgeOf(r) {
  const n = r.userCount || 0;
  return n ? `${n} online` : `${r.elements} element${r.elements === 1 ? '' : 's'}`;
}

/** One board: its link (display name, with the id beside it), and Delete for the host. */
function boardItem(r, withDelete) {
  const shown = r.name || r.id;
  const li = linkItem(`/room/${encodeURIComponent(r.id)}`, shown, badgeOf(r), (r.userCount || 0) > 0,
    r.name && r.name !== r.id ? r.id : '');
  li.dataset.board = r.id;
  if (withDelete && (onHost || teacherKey(r.id))) {
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn danger';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete board ${shown}`);
    del.addEventListener('click', () => deleteBoard(r));
    li.append(del);
  }
  return li;
}

function linkItem(href, title, badgeText, live, id = '') {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = href;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = title;
  if (id) {
    const small = document.createElement('span');
    small.className = 'board-id';
    small.textContent = ` · ${id}`;
    name.append(small);
  }
  const badge = document.createElement('span');
  badge.className = live ? 'badge live' : 'badge';
  badge.textContent = badgeText;
  a.append(name, badge);
  li.append(a);
  return li;
}

function askDelete(shown) {
  const dialog = $('delete-dialog');
  $('delete-title').textContent = `Delete “${shown}”?`;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

/** A write; null when it worked, else {status, text}. */
async function post(path, key) {
  try {
    const res = await fetch(path, { method: 'POST', headers: writeHeaders({
      key, user: cleanUserId(nameInput.value) }), body: '{}' });
    const body = await res.json().catch(() => ({}));
    return res.ok ? null : { status: res.status, text: body.message || `error ${res.status}` };
  } catch (err) {
    return { status: 0, text: String(err) };
  }
}

/** The host machine may read any board's links (boardapi.py), so its teacher key. */
async function hostKey(id) {
  const links = await getJson(`/api/rooms/${encodeURIComponent(id)}/links`);
  return links && typeof links.teacher === 'string' ? teacherKey(id, links) : '';
}

function showError(text) {
  const err = $('boards-error');
  err.textContent = text || '';
  err.hidden = !text;
}

async function deleteBoard(r) {
  if (!await askDelete(r.name || r.id)) return;
  const failed = await post(`/api/rooms/${encodeURIComponent(r.id)}/delete`, teacherKey(r.id));
  showError(failed && `Delete failed: ${failed.text}`);
  refreshBoards();
}

async function restoreBoard(d) {
  const path = `/api/rooms/${encodeURIComponent(d.id)}/versions/${d.version}/restore`;
  let failed = await post(path, teacherKey(d.id));
  // A board whose teacher has joined takes restores from its teacher only: the host, who
  // deleted it, proves it with the key it may always read.
  if (failed && failed.status === 403 && onHost) {
    const key = await hostKey(d.id);
    if (key) failed = await post(path, key);
  }
  showError(failed && `Restore failed: ${failed.text}`);
  refreshBoards();
}

function deletedItem(d) {
  const when = d.deleted ? new Date(d.deleted * 1000).toLocaleString() : '';
  const li = linkItem(`/room/${encodeURIComponent(d.id)}`, d.name || d.id,
    `${d.elements} element${d.elements === 1 ? '' : 's'}${when ? ` · deleted ${when}` : ''}`,
    false, d.name && d.name !== d.id ? d.id : '');
  li.dataset.board = d.id;
  if (d.version !== null && d.version !== undefined) {
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'btn';
    again.textContent = 'Restore';
    again.setAttribute('aria-label', `Restore board ${d.name || d.id}`);
    again.addEventListener('click', () => restoreBoard(d));
    li.append(again);
  }
  return li;
}

async function getJson(url) {
  try {
    const res = await fetch(url);
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

async function refreshBoards() {
  refreshed = (async () => {
    const data = await getJson('/api/rooms');
    rooms = data && Array.isArray(data.rooms) ? data.rooms : [];
    const deleted = data && Array.isArray(data.deleted) ? data.deleted : [];
    deletedIds = deleted.map((d) => d.id);
    $('boards').replaceChildren(...rooms.map((r) => boardItem(r, true)));
    $('boards-empty').hidden = rooms.length > 0;
    $('deleted').replaceChildren(...deleted.map(deletedItem));
    $('deleted-card').hidden = deleted.length === 0;
    if (document.activeElement === joinInput) showSuggestions();
  })();
  return refreshed;
}

async function refreshPeers() {
  const data = await getJson('/api/peers');
  const peers = data && Array.isArray(data.peers) ? data.peers : [];
  const list = $('peers');
  const items = [];
  for (const peer of peers) {
    if (typeof peer.url !== 'string' || !/^https?:\/\//.test(peer.url)) continue;
    const base = peer.url.endsWith('/') ? peer.url : `${peer.url}/`;
    const boards = Array.isArray(peer.boards) ? peer.boards : [];
    if (!boards.length) items.push(linkItem(base, String(peer.name || peer.url), 'open', false));
    for (const b of boards) {
      const id = typeof b === 'string' ? b : b && b.id;
      if (!isRoomId(id)) continue;
      const users = typeof b === 'object' && b.userCount ? `${b.userCount} online` : '';
      items.push(linkItem(`${base}room/${encodeURIComponent(id)}`,
        `${id} · ${peer.name || peer.url}`, users, Boolean(users)));
    }
  }
  list.replaceChildren(...items);
  $('peers-card').hidden = items.length === 0;
}

refreshBoards();
refreshPeers();
setInterval(refreshBoards, 5000);
setInterval(refreshPeers, 10000);

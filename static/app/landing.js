// The landing page: name, create, join, this server's boards (live counts) and, when the
// discovery API answers, boards of other LANBoards on the network. All text goes in as text.

import { cleanUserId, isRoomId, randomRoomCode, slugRoomId } from './protocol.js';
import { storedName, storeName } from './ui/dialogs.js';

const nameInput = document.getElementById('name');
nameInput.value = storedName();
nameInput.addEventListener('change', () => {
  const name = cleanUserId(nameInput.value);
  nameInput.value = name;
  if (name) storeName(name);
});

function openBoard(id) {
  const name = cleanUserId(nameInput.value);
  if (name) storeName(name);
  const q = name ? `?name=${encodeURIComponent(name)}` : '';
  location.href = `/room/${encodeURIComponent(id)}${q}`;
}

/**
 * Issue 14: whoever creates a board becomes its teacher. The claim answers the three links
 * (201) when the board had no keys yet; this browser keeps them, and the board page finds
 * its teacher key there, so the key never sits in the address bar (or in a photo of the
 * projector). A board someone already claimed (409), or a server without roles, opens as
 * before. Answers the teacher link when it could not be kept (private mode), else null.
 */
async function claimBoard(id) {
  let links;
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(id)}/claim`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    });
    if (res.status !== 201) return null;
    links = await res.json();
  } catch {
    return null;
  }
  if (!links || typeof links.teacher !== 'string') return null;
  try {
    localStorage.setItem(`lanboard.links.${id}`, JSON.stringify(links));
    return null;
  } catch {
    return new URL(links.teacher, location.href);
  }
}

document.getElementById('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const typed = slugRoomId(document.getElementById('create-name').value);
  const id = typed || randomRoomCode();
  const teacher = await claimBoard(id);
  if (!teacher || teacher.origin !== location.origin) {
    openBoard(id);
    return;
  }
  const name = cleanUserId(nameInput.value);
  if (name) teacher.searchParams.set('name', name);
  location.href = `${teacher.pathname}${teacher.search}`;
});

document.getElementById('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const raw = document.getElementById('join-code').value.trim();
  // Accept a pasted link too: take what follows /room/.
  const match = raw.match(/\/room\/([^/?#]+)/);
  const id = match ? decodeURIComponent(match[1]) : raw;
  const err = document.getElementById('join-error');
  if (!isRoomId(id)) {
    err.textContent = 'A board code is 1-64 letters, digits, - or _.';
    err.hidden = false;
    return;
  }
  err.hidden = true;
  openBoard(id);
});

function boardItem(href, title, badgeText, live) {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = href;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = title;
  const badge = document.createElement('span');
  badge.className = live ? 'badge live' : 'badge';
  badge.textContent = badgeText;
  a.append(name, badge);
  li.append(a);
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
  const data = await getJson('/api/rooms');
  const list = document.getElementById('boards');
  const rooms = data && Array.isArray(data.rooms) ? data.rooms : [];
  list.replaceChildren(...rooms.map((r) => {
    const n = r.userCount || 0;
    const badge = n ? `${n} online` : `${r.elements} element${r.elements === 1 ? '' : 's'}`;
    return boardItem(`/room/${encodeURIComponent(r.id)}`, r.id, badge, n > 0);
  }));
  document.getElementById('boards-empty').hidden = rooms.length > 0;
}

async function refreshPeers() {
  const data = await getJson('/api/peers');
  const peers = data && Array.isArray(data.peers) ? data.peers : [];
  const list = document.getElementById('peers');
  const items = [];
  for (const peer of peers) {
    if (typeof peer.url !== 'string' || !/^https?:\/\//.test(peer.url)) continue;
    const base = peer.url.endsWith('/') ? peer.url : `${peer.url}/`;
    const boards = Array.isArray(peer.boards) ? peer.boards : [];
    if (!boards.length) items.push(boardItem(base, String(peer.name || peer.url), 'open', false));
    for (const b of boards) {
      const id = typeof b === 'string' ? b : b && b.id;
      if (!isRoomId(id)) continue;
      const users = typeof b === 'object' && b.userCount ? `${b.userCount} online` : '';
      items.push(boardItem(`${base}room/${encodeURIComponent(id)}`,
        `${id} · ${peer.name || peer.url}`, users, Boolean(users)));
    }
  }
  list.replaceChildren(...items);
  document.getElementById('peers-card').hidden = items.length === 0;
}

refreshBoards();
refreshPeers();
setInterval(refreshBoards, 5000);
setInterval(refreshPeers, 10000);

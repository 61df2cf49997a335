// The share dialog: the board's LAN addresses, its .local name, a QR code drawn by the server,
// a copy button that works over plain HTTP, help for when a device cannot join, and a
// "Handout" QR code of the board's PDF, so students take the lesson home on their phones.

import { toast } from './dialogs.js';

async function getJson(url) {
  try {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

/** Board URLs from /api/info's base URLs (which end with or without a slash). */
export function boardUrls(info, roomId, origin) {
  const path = `room/${encodeURIComponent(roomId)}`;
  const join = (base) => `${base.endsWith('/') ? base : `${base}/`}${path}`;
  const urls = [];
  for (const base of (info && Array.isArray(info.urls) ? info.urls : [])) {
    if (typeof base === 'string' && /^https?:\/\//.test(base)) urls.push(join(base));
  }
  // Prefer an address other devices can reach over the loopback one.
  const lan = urls.filter((u) => !/\/\/(127\.|localhost|\[::1\])/.test(u));
  const ordered = [...lan, ...urls.filter((u) => !lan.includes(u))];
  if (!ordered.length) ordered.push(join(`${origin}/`));
  return {
    urls: ordered,
    local: info && typeof info.localUrl === 'string' && info.localUrl ? join(info.localUrl) : '',
  };
}

/** Copies text without needing a secure context: the clipboard API when allowed, else execCommand. */
export async function copyText(text, input) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection route
    }
  }
  input.focus();
  input.select();
  input.setSelectionRange(0, text.length);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

function helpItems(info) {
  const items = [];
  if (!info) {
    items.push(['This server does not report its network details.',
      'Make sure the other device uses the same Wi-Fi and types the address exactly.']);
  }
  if (info && info.loopbackOnly) {
    items.push(['LANBoard only listens on this computer (127.0.0.1), so other devices cannot reach it.',
      'Restart it with --host 0.0.0.0 (or without --host) to accept devices on your network.']);
  }
  if (info && info.mdns === false) {
    items.push(['The .local name is not announced on this network (mDNS is off).',
      'Use the numeric address above or the QR code instead of the .local name.']);
  }
  items.push(['Guest or public Wi-Fi often keeps devices apart ("client isolation").',
    'Join the same non-guest network, or use a phone hotspot that all devices join.']);
  items.push(['A firewall may block incoming connections.',
    'On Windows, allow LANBoard on private networks when asked (or in Windows Defender Firewall). ' +
    'On macOS, click Allow when asked whether LANBoard may accept incoming connections.']);
  items.push(['A VPN can hide the local network.',
    'Pause the VPN on this computer and on the other device, or allow local network access in its settings.']);
  if (info && Array.isArray(info.interfaces) && info.interfaces.length > 1) {
    items.push(['This computer has several network addresses.',
      'Pick the one on the same network as the other device from the list above.']);
  }
  return items;
}

/** The PDF handout's address on the same host as a board address (what a phone can reach). */
export function handoutUrl(boardUrl, pdfPath) {
  try {
    return `${new URL(boardUrl).origin}${pdfPath}`;
  } catch {
    return '';
  }
}

/** The dialog's Handout part: a QR code of the PDF and a link to it. */
function buildHandout(dialog) {
  const box = document.createElement('section');
  box.className = 'share-handout';
  const title = document.createElement('h3');
  title.textContent = 'Handout';
  const text = document.createElement('p');
  text.className = 'muted';
  text.textContent = 'Students scan this to take the board home as a PDF.';
  const img = document.createElement('img');
  img.id = 'share-handout-qr';
  img.className = 'qr';
  img.width = 160;
  img.height = 160;
  img.alt = "QR code of the board's PDF handout";
  const link = document.createElement('a');
  link.id = 'share-handout-link';
  link.textContent = 'Open the PDF handout';
  link.target = '_blank';
  link.rel = 'noopener';
  img.addEventListener('error', () => { img.hidden = true; });
  box.append(title, text, img, link);
  dialog.insertBefore(box, document.getElementById('cant-join'));
  return (url) => {
    box.hidden = !url;
    img.hidden = false;
    img.src = url ? `/api/qr?url=${encodeURIComponent(url)}` : '';
    link.href = url;
  };
}

/**
 * Issue 14: the viewer and teacher links this browser knows (kept when it claimed the board
 * or rotated its keys, or asked of the host machine), moved onto the address being shown.
 */
export function roleLinks(links, shownUrl) {
  if (!links || typeof links !== 'object') return null;
  const out = {};
  for (const role of ['viewer', 'teacher']) {
    try {
      const u = new URL(links[role]);
      const key = u.searchParams.get('key');
      if (!key) continue;
      const at = new URL(shownUrl);
      at.searchParams.set('key', key);
      out[role] = at.toString();
    } catch {
      // not a link
    }
  }
  return out.viewer || out.teacher ? out : null;
}

async function knownLinks(roomId) {
  try {
    const kept = JSON.parse(localStorage.getItem(`lanboard.links.${roomId}`) || 'null');
    if (kept) return kept;
  } catch {
    // nothing kept
  }
  // Only the host machine gets an answer (others: 403).
  return getJson(`/api/rooms/${encodeURIComponent(roomId)}/links`);
}

/** The folded part of a teacher's Share dialog: the viewer and teacher links. */
function buildRoleLinks(dialog) {
  const box = document.createElement('details');
  box.id = 'share-more';
  box.className = 'share-more';
  box.hidden = true;
  const summary = document.createElement('summary');
  summary.textContent = 'Viewer and teacher links';
  box.append(summary);
  const rows = {};
  for (const [role, label, hint] of [
    ['viewer', 'Viewer link', 'For a projector or a parent: it shows the board and follows you.'],
    ['teacher', 'Teacher link', 'Keep it to yourself: it opens the board as its teacher.'],
  ]) {
    const l = document.createElement('label');
    l.className = 'field-label';
    l.textContent = label;
    const input = document.createElement('input');
    input.className = 'url';
    input.readOnly = true;
    input.id = `share-${role}-url`;
    l.htmlFor = input.id;
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = hint;
    box.append(l, input, p);
    rows[role] = input;
  }
  dialog.insertBefore(box, document.getElementById('cant-join'));
  return (links) => {
    box.hidden = !links;
    for (const role of ['viewer', 'teacher']) {
      rows[role].value = links?.[role] || '';
      rows[role].hidden = !links?.[role];
    }
  };
}

/**
 * @param {string} roomId  @param {object} [api] boardApi(roomId), for the handout's address
 * @param {() => string} [role] this page's role: a teacher also gets the folded role links
 */
export function buildShare(roomId, api, role = () => 'student') {
  const dialog = document.getElementById('share-dialog');
  const urlInput = document.getElementById('share-url');
  const select = document.getElementById('share-url-select');
  const selectLabel = document.getElementById('share-url-select-label');
  const qr = document.getElementById('share-qr');
  const local = document.getElementById('share-local');
  const status = document.getElementById('copy-status');
  const help = document.getElementById('cant-join-list');

  const showHandout = api ? buildHandout(dialog) : null;
  const showRoles = buildRoleLinks(dialog);
  let links = null;

  function showUrl(url) {
    urlInput.value = url;
    showRoles(role() === 'teacher' ? roleLinks(links, url) : null);
    qr.hidden = false;
    qr.src = `/api/qr?url=${encodeURIComponent(url)}`;
    if (showHandout) showHandout(handoutUrl(url, api.pdfUrl('a4')));
  }
  qr.addEventListener('error', () => { qr.hidden = true; });
  select.addEventListener('change', () => showUrl(select.value));

  document.getElementById('copy-btn').addEventListener('click', async () => {
    const ok = await copyText(urlInput.value, urlInput);
    status.textContent = ok ? 'Link copied.' : 'Select the address and copy it (Ctrl+C).';
    if (!ok) urlInput.select();
  });

  async function open() {
    status.textContent = '';
    const info = await getJson('/api/info');
    links = role() === 'teacher' ? await knownLinks(roomId) : null;
    const { urls, local: localUrl } = boardUrls(info, roomId, location.origin);
    showUrl(urls[0]);
    select.replaceChildren();
    for (const u of urls) {
      const o = document.createElement('option');
      o.value = u;
      o.textContent = u;
      select.append(o);
    }
    select.hidden = urls.length < 2;
    selectLabel.hidden = urls.length < 2;
    local.hidden = !localUrl;
    local.textContent = localUrl ? `Also by name: ${localUrl}` : '';
    help.replaceChildren();
    for (const [problem, fix] of helpItems(info)) {
      const li = document.createElement('li');
      const b = document.createElement('strong');
      b.textContent = problem;
      const p = document.createElement('span');
      p.textContent = ` ${fix}`;
      li.append(b, p);
      help.append(li);
    }
    if (!dialog.open) dialog.showModal();
  }

  document.getElementById('share-btn').addEventListener('click', () => {
    open().catch(() => toast('Could not load the share details.'));
  });
  return { open };
}

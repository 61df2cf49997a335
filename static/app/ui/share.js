// The share dialog: the board's LAN addresses, its .local name, a QR code drawn by the server,
// a copy button that works over plain HTTP, and help for when a device cannot join.

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

export function buildShare(roomId) {
  const dialog = document.getElementById('share-dialog');
  const urlInput = document.getElementById('share-url');
  const select = document.getElementById('share-url-select');
  const selectLabel = document.getElementById('share-url-select-label');
  const qr = document.getElementById('share-qr');
  const local = document.getElementById('share-local');
  const status = document.getElementById('copy-status');
  const help = document.getElementById('cant-join-list');

  function showUrl(url) {
    urlInput.value = url;
    qr.hidden = false;
    qr.src = `/api/qr?url=${encodeURIComponent(url)}`;
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

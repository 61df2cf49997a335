// The board page: boots the pieces and carries one change through them.
//
// A drawing gesture goes: input.js -> the active tool (returns ops) -> apply() here, which puts
// the change on the scene's local overlay and sends it through net.js. The server's echo (with
// its seq) comes back through onFrame() into the scene's confirmed state, and render.js paints
// the result once per animation frame.

import { Connection } from './net.js';
import { unionBounds } from './geometry.js';
import { History } from './history.js';
import { Input } from './input.js';
import {
  appendMsg, clampFontSize, clampWidth, cleanUserId, clearMsg, cursorMsg, drawMsg, eraseMsgs,
  idMaker, socketUrl,
} from './protocol.js';
import { Renderer } from './render.js';
import { Scene } from './scene.js';
import { makeTools, TOOL_INFO } from './tools/index.js';
import { ERASER_RADIUS } from './tools/eraser.js';
import { View } from './view.js';
import { download, exportPng, exportSvg } from './export.js';
import { askName, storedName, storeName, toast } from './ui/dialogs.js';
import { buildMenu } from './ui/menu.js';
import { buildPresence } from './ui/presence.js';
import { buildShare } from './ui/share.js';
import { buildTextEditor } from './ui/texteditor.js';
import { buildToolbar, WIDTHS } from './ui/toolbar.js';

/** Appends of a stroke in progress go out at most this often (about 30 per second). */
const APPEND_EVERY_MS = 33;
/** Cursor positions go out at most this often (about 30 per second). */
const CURSOR_EVERY_MS = 33;
/** A remote cursor that has not moved for this long is hidden. */
const CURSOR_STALE_MS = 30000;

const params = new URLSearchParams(location.search);
const roomId = decodeURIComponent(location.pathname.replace(/^\/room\//, '').split('/')[0] || '');

function start(name) {
  const scene = new Scene();
  const view = new View();
  const history = new History();
  const tools = makeTools();
  const style = { color: '#1e1e1e', widthIndex: 0 };
  const staticCanvas = document.getElementById('board-canvas');
  const overlay = document.getElementById('overlay-canvas');
  const renderer = new Renderer(staticCanvas, overlay, scene, view);
  const newId = idMaker(name);
  const me = { userId: name, color: null };
  const cursors = new Map();
  const appendBuf = new Map();
  const eraseGroups = new Map();
  const stats = { syncReceivedAt: 0, syncToFrameMs: null, syncElements: 0, frames: 0 };
  let toolName = 'pen';
  let ready = false;
  let appendTimer = null;
  let lastCursorAt = 0;
  let cursorTimer = null;
  let nextCursor = null;
  let users = [];
  renderer.cursors = cursors;
  renderer.resize();
  window.addEventListener('resize', () => renderer.resize());

  // ---- sending ---------------------------------------------------------------------

  const send = (msg) => ready && net.send(msg);

  function sendDraw(el, live = false) {
    let msg;
    try {
      msg = drawMsg(el);
    } catch (err) {
      toast(`Not drawn: ${err.message}`);
      return false;
    }
    scene.localDraw(el, send(msg), live);
    return true;
  }

  function sendErase(ids) {
    const list = ids.filter((id) => scene.get(id));
    if (!list.length) return [];
    const elements = list.map((id) => scene.get(id));
    let sent = true;
    for (const msg of eraseMsgs(list)) sent = send(msg) && sent;
    scene.localErase(list, sent);
    return elements;
  }

  function flushAppends() {
    clearTimeout(appendTimer);
    appendTimer = null;
    for (const [id, points] of appendBuf) {
      scene.markResent('draw', id, send(appendMsg(id, points)));
    }
    appendBuf.clear();
  }

  function apply(ops) {
    for (const op of ops) {
      switch (op.op) {
        case 'begin':
          sendDraw(op.element, true);
          break;
        case 'append': {
          scene.localAppend(op.id, op.points, undefined);
          const buf = appendBuf.get(op.id);
          if (buf) buf.push(...op.points);
          else appendBuf.set(op.id, [...op.points]);
          if (!appendTimer) appendTimer = setTimeout(flushAppends, APPEND_EVERY_MS);
          break;
        }
        case 'end': {
          flushAppends();
          const el = scene.get(op.id);
          scene.endLive(op.id);
          if (el) history.push({ kind: 'draw', element: el });
          break;
        }
        case 'cancel':
          appendBuf.delete(op.id);
          scene.endLive(op.id);
          sendErase([op.id]);
          break;
        case 'draw':
          if (sendDraw(op.element)) history.push({ kind: 'draw', element: op.element });
          break;
        case 'erase': {
          const removed = sendErase(op.ids);
          const group = eraseGroups.get(op.group) || [];
          group.push(...removed);
          eraseGroups.set(op.group, group);
          break;
        }
        case 'endErase': {
          const group = eraseGroups.get(op.group);
          eraseGroups.delete(op.group);
          if (group && group.length) history.push({ kind: 'erase', elements: group });
          break;
        }
        case 'preview':
          renderer.preview = tools[toolName].preview;
          renderer.markOverlay();
          break;
        case 'text':
          openTextEditor(op.x, op.y);
          break;
        default:
          break;
      }
    }
    toolbar.showHistory(history.canUndo, history.canRedo);
    renderer.request();
  }

  function undoRedo(change) {
    if (!change) return;
    if (change.erase) sendErase(change.erase);
    if (change.draw) for (const el of change.draw) sendDraw(el);
    toolbar.showHistory(history.canUndo, history.canRedo);
    renderer.request();
  }
  const undo = () => undoRedo(history.undo());
  const redo = () => undoRedo(history.redo());

  function sendCursor(x, y) {
    nextCursor = [x, y];
    if (toolName === 'eraser') {
      renderer.selfCursor = { x, y, r: ERASER_RADIUS / view.scale };
      renderer.markOverlay();
    }
    const wait = CURSOR_EVERY_MS - (performance.now() - lastCursorAt);
    if (wait <= 0) {
      lastCursorAt = performance.now();
      send(cursorMsg(x, y));
      nextCursor = null;
    } else if (!cursorTimer) {
      cursorTimer = setTimeout(() => {
        cursorTimer = null;
        if (nextCursor) sendCursor(...nextCursor);
      }, wait);
    }
  }

  // ---- receiving -------------------------------------------------------------------

  function onFrame(messages, receivedAt) {
    let caughtUp = false;
    const now = performance.now();
    for (const msg of messages) {
      if (!msg || typeof msg.type !== 'string') continue;
      switch (msg.type) {
        case 'sync':
          stats.syncParseMs = now - receivedAt;
          scene.applySync(msg.data);
          stats.syncApplyMs = performance.now() - now;
          stats.syncAppliedAt = performance.now();
          me.userId = msg.data.userId;
          me.color = msg.data.color;
          users = msg.data.users || users;
          stats.syncReceivedAt = receivedAt;
          stats.syncElements = (msg.data.elements || []).length;
          stats.syncToFrameMs = null;
          caughtUp = true;
          break;
        case 'resume':
          scene.applyResume(msg.data);
          me.userId = msg.data.userId;
          me.color = msg.data.color;
          caughtUp = true;
          break;
        case 'draw':
        case 'append':
        case 'erase':
        case 'clear':
          scene.applyChange(msg, now);
          break;
        case 'cursor':
          if (msg.userId !== me.userId && msg.data) {
            cursors.set(msg.userId, { x: msg.data.x, y: msg.data.y, color: msg.data.color, t: now });
            renderer.markOverlay();
          }
          break;
        case 'userlist':
          users = msg.data.users || [];
          break;
        case 'leave':
          cursors.delete(msg.userId);
          renderer.markOverlay();
          break;
        case 'ack':
          scene.prunePendingErase();
          break;
        case 'error':
          onServerError(msg.data || {});
          break;
        default:
          break; // join, pong and types from newer servers
      }
    }
    if (caughtUp) {
      ready = true;
      net.healthy();
      resendUnconfirmed();
      showConnection('connected');
    }
    presence.show(users, me.userId);
    renderer.request();
  }

  /** Sends again, as full draws and erases, every local change the server has not echoed. */
  function resendUnconfirmed(fullSync) {
    // A full draw carries every point so far: buffered appends would add them twice.
    appendBuf.clear();
    const { draws, erases } = scene.afterCatchUp(fullSync);
    for (const el of draws) scene.markResent('draw', el.id, net.send(drawMsg(el)));
    for (const msg of eraseMsgs(erases)) {
      const sent = net.send(msg);
      for (const id of msg.data.ids) scene.markResent('erase', id, sent);
    }
  }

  let recoverTimer = null;
  function onServerError(err) {
    if (err.code === 'rate_limited') {
      // The server dropped some of our messages without saying which. Once our own queue
      // has drained and echoes had time to arrive, whatever is unconfirmed is sent again.
      clearTimeout(recoverTimer);
      const recover = () => {
        if (net.queued) recoverTimer = setTimeout(recover, 500);
        else if (ready) resendUnconfirmed(false);
      };
      recoverTimer = setTimeout(recover, 1500);
      return;
    }
    if (err.code === 'not_found') return; // an append to a stroke someone erased meanwhile
    if (err.ref && scene.pendingDraw.has(err.ref) && err.code === 'bad_element') {
      scene.dropLocal(err.ref);
    }
    toast(err.message ? `Server: ${err.message}` : `Server error: ${err.code}`);
  }

  // ---- connection ------------------------------------------------------------------

  const connBtn = document.getElementById('conn');
  const connText = document.getElementById('conn-text');
  function showConnection(state, detail) {
    connBtn.dataset.state = state;
    const texts = {
      connecting: 'Connecting…',
      open: 'Syncing…',
      connected: 'Connected',
      reconnecting: `Offline · retrying in ${Math.ceil((detail?.delay || 0) / 1000)} s`,
    };
    connText.textContent = texts[state] || state;
    connBtn.title = state === 'reconnecting' ? 'Click to retry now; your drawing is kept.'
      : 'Connection to the server';
  }
  const net = new Connection(
    () => socketUrl(location, roomId, name, scene.synced ? scene.seq : null),
    onFrame,
    (state, detail) => {
      if (state !== 'open') ready = false;
      showConnection(state, detail);
    },
  );
  connBtn.addEventListener('click', () => net.reconnectNow());

  // ---- view and tools --------------------------------------------------------------

  const zoomLabel = document.getElementById('zoom-reset');
  function viewChanged() {
    zoomLabel.textContent = `${Math.round(view.scale * 100)}%`;
    editor.commit();
    renderer.request();
  }

  function setTool(name) {
    if (!tools[name]) return;
    const current = tools[toolName];
    if (current.active) apply(current.cancel(toolCtx()));
    editor.commit();
    toolName = name;
    toolbar.showTool(name);
    overlay.dataset.tool = name;
    renderer.selfCursor = null;
    renderer.markOverlay();
  }

  function setStyle(change) {
    if (change.color) style.color = change.color;
    if (change.widthIndex !== undefined) style.widthIndex = change.widthIndex;
    toolbar.showStyle(style);
  }

  const toolCtx = () => ({
    style: { color: style.color, width: clampWidth(WIDTHS[style.widthIndex].width) },
    newId, scene, scale: view.scale, boundsOf: (el) => renderer.boundsOf(el),
  });

  function fit() {
    const b = unionBounds(scene.elements());
    if (!b) {
      view.reset();
    } else {
      const w = window.innerWidth;
      const h = window.innerHeight - 120;
      const s = Math.min(2, (w - 40) / (b.maxX - b.minX || 1), (h - 40) / (b.maxY - b.minY || 1));
      view.scale = Math.max(0.05, s);
      view.ox = w / 2 - ((b.minX + b.maxX) / 2) * view.scale;
      view.oy = 60 + h / 2 - ((b.minY + b.maxY) / 2) * view.scale;
      view.version += 1;
    }
    viewChanged();
  }

  // ---- text editing ----------------------------------------------------------------

  const editor = buildTextEditor(view, overlay, (at, text) => {
    apply([{ op: 'draw', element: { id: newId(), elementType: 'text', x: at.x, y: at.y, text,
      fontSize: at.fontSize, strokeColor: at.color, strokeWidth: 1 } }]);
  });
  function openTextEditor(x, y) {
    editor.open(x, y, clampFontSize(WIDTHS[style.widthIndex].font), style.color);
  }

  // ---- UI --------------------------------------------------------------------------

  const toolbar = buildToolbar({ onTool: setTool, onStyle: setStyle, onUndo: undo, onRedo: redo });
  const presence = buildPresence();
  const share = buildShare(roomId);
  const fileBase = `lanboard-${roomId}`;
  buildMenu(roomId, {
    exportPng: () => exportPng(scene.elements(), fileBase),
    exportSvg: () => exportSvg(scene.elements(), fileBase),
    download,
    fit,
    rename: async () => {
      const next = await askName(name);
      if (next && next !== name) {
        params.set('name', next);
        location.search = params.toString();
      }
    },
    clear: () => {
      if (!send(clearMsg())) {
        toast('Not connected: the board can be cleared once the connection is back.');
        return;
      }
      history.clear();
      toolbar.showHistory(false, false);
    },
  });
  const zoomBy = (f) => {
    view.zoomAt(window.innerWidth / 2, window.innerHeight / 2, f);
    viewChanged();
  };
  document.getElementById('zoom-in').addEventListener('click', () => zoomBy(1.25));
  document.getElementById('zoom-out').addEventListener('click', () => zoomBy(0.8));
  zoomLabel.addEventListener('click', () => {
    view.reset();
    viewChanged();
  });

  // A button pressed with the mouse gives focus back, so Space then pans instead of pressing
  // it again; from the keyboard (detail 0) focus stays for the next key.
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('.toolbar button, .zoom button') : null;
    if (b && e.detail > 0) b.blur();
  });

  // The canvas keeps focus from moving (see ui/texteditor.js), so a press on it commits an
  // open text first; registered before the Input handler.
  overlay.addEventListener('pointerdown', () => editor.commit());
  const input = new Input(overlay, {
    view, renderer, toolCtx, apply, viewChanged,
    tool: () => tools[toolName],
    cursor: sendCursor,
  });

  window.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement ||
        t instanceof HTMLSelectElement || document.querySelector('dialog[open]')) return;
    const key = e.key.toLowerCase();
    if (e.ctrlKey || e.metaKey) {
      if (key === 'z' && !e.shiftKey) undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') redo();
      else return;
      e.preventDefault();
      return;
    }
    if (e.altKey) return;
    if (key === ' ') {
      input.spaceDown = true;
      overlay.classList.add('pan-ready');
      if (t === document.body || t === overlay) e.preventDefault();
      return;
    }
    const info = TOOL_INFO.find((i) => i.key === key);
    if (info) setTool(info.name);
    else if (['1', '2', '3'].includes(key)) setStyle({ widthIndex: Number(key) - 1 });
    else if (key === '+' || key === '=') zoomBy(1.25);
    else if (key === '-') zoomBy(0.8);
    else if (key === '0') zoomLabel.click();
    else if (key === 's') share.open();
    else if (key === 'escape') {
      const tool = tools[toolName];
      if (tool.active) apply(tool.cancel(toolCtx()));
      toolbar.closeStyle();
    } else return;
    e.preventDefault();
  });
  window.addEventListener('keyup', (e) => {
    if (e.key === ' ') {
      input.spaceDown = false;
      overlay.classList.remove('pan-ready');
    }
  });
  overlay.addEventListener('pointerleave', () => {
    if (renderer.selfCursor) {
      renderer.selfCursor = null;
      renderer.markOverlay();
    }
  });

  // Remote strokes that stopped growing move to the static layer; idle cursors fade out.
  setInterval(() => {
    const now = performance.now();
    scene.expireLive(now);
    for (const [id, c] of cursors) {
      if (now - c.t > CURSOR_STALE_MS) {
        cursors.delete(id);
        renderer.markOverlay();
      }
    }
    renderer.request();
  }, 250);

  renderer.afterFrame = () => {
    stats.frames += 1;
    if (stats.syncReceivedAt && stats.syncToFrameMs === null && !renderer.needFull) {
      // The frame holding the sync is painted; the next animation frame is after it is shown.
      stats.syncToFrameMs = -1;
      // A board whose drawing is all out of view would look empty: show the drawing instead.
      if (!stats.firstSyncDone && renderer.stats.drawnElements === 0 && scene.size > 0) fit();
      stats.firstSyncDone = true;
      stats.syncPaintedMs = performance.now() - stats.syncReceivedAt;
      stats.syncRepaintMs = renderer.stats.lastRepaintMs;
      stats.syncFrameStartMs = renderer.stats.frameStart - stats.syncReceivedAt;
      requestAnimationFrame(() => {
        stats.syncToFrameMs = performance.now() - stats.syncReceivedAt;
      });
    }
  };

  setTool('pen');
  setStyle({});
  toolbar.showHistory(false, false);
  net.connect();

  // For tests, benchmarks and debugging from the console.
  window.__lanboard = {
    scene, view, renderer, history, net, stats, cursors, me,
    get ready() {
      return ready;
    },
    get users() {
      return users;
    },
    setTool, setStyle, undo, redo, fit, apply,
  };
}

async function boot() {
  if (!roomId) {
    location.href = '/';
    return;
  }
  document.getElementById('room-name').textContent = roomId;
  document.title = `${roomId} · LANBoard`;
  let name = cleanUserId(params.get('name') || '');
  if (name) storeName(name);
  else name = storedName() || await askName();
  start(name);
}

boot();

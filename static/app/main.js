// The board page: builds the pieces and wires them. Each piece has one job:
//   session.js    the socket: sync, resume, catch-up, refusals (server -> scene)
//   controller.js tool ops and selection actions -> scene + messages + history
//   input.js      pointer, touch and wheel -> tool calls, pan and zoom
//   keyboard.js   shortcuts; clipboard.js the copy, cut and paste events
//   render.js     the two canvas layers, once per animation frame
//   api.js        HTTP calls (export, import, history); ui/* the controls
//   classroom.js  role and settings (view only), follow me, laser, the teacher console
// `window.__lanboard` is the hook the browser tests and benchmarks use.

import { boardApi } from './api.js';
import { joinWithCache } from './boardcache.js';
import { bindClipboard } from './clipboard.js';
import { Controller } from './controller.js';
import { Classroom, pageKey } from './classroom.js';
import { LIMITS } from './elements/index.js';
import { boardCanvas, download, exportPng, unionBounds } from './export.js';
import { History } from './history.js';
import { Input } from './input.js';
import { bindKeyboard } from './keyboard.js';
import { cleanUserId, clearMsg, idMaker } from './protocol.js';
import { Renderer } from './render.js';
import { Scene } from './scene.js';
import { Session } from './session.js';
import { onThemeChange } from './theme.js';
import { makeTools, toolInfo } from './tools/index.js';
import { Worksheets } from './worksheets.js';
import { parseViewParam, View } from './view.js';
import { announceChanges } from './ui/announce.js';
import { askName, storedName, storeName, toast } from './ui/dialogs.js';
import { buildMenu } from './ui/menu.js';
import { buildNotice } from './ui/notice.js';
import { buildPresence } from './ui/presence.js';
import { askNewName } from './ui/rename.js';
import { buildShare } from './ui/share.js';
import { buildTextEditor } from './ui/texteditor.js';
import { buildTimeline } from './ui/timeline.js';
import { buildToolbar, WIDTHS } from './ui/toolbar.js';

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
const clampWidth = (w) => clamp(w, LIMITS.MIN_STROKE_WIDTH, LIMITS.MAX_STROKE_WIDTH);

const params = new URLSearchParams(location.search);
const roomId = decodeURIComponent(location.pathname.replace(/^\/room\//, '').split('/')[0] || '');
function start(name) {
  // Issue 14: a key in the address (teacher or viewer link), or the one this browser kept.
  const access = pageKey(params, roomId);
  const scene = new Scene();
  const view = new View();
  const history = new History(200, scene);
  const tools = makeTools();
  const staticCanvas = document.getElementById('board-canvas');
  const overlay = document.getElementById('overlay-canvas');
  const renderer = new Renderer(staticCanvas, overlay, scene, view);
  const notice = buildNotice();
  const presence = buildPresence();
  const editor = buildTextEditor(view, overlay);
  const connection = connectionStatus();

  let worksheets = null; // issue 15, built once the controller and classroom exist
  const session = new Session({
    roomId, name, scene, notice,
    changed: () => {
      presence.show(session.users, session.me.userId);
      classroom.usersChanged();
      if (session.takeCursorsMoved()) renderer.setCursors(session.cursors);
      else renderer.request();
    },
    onState: connection.show,
    key: access.key,
  });
  session.keptKey = access.kept;
  const toolbar = buildToolbar({
    tool: (n) => setTool(n),
    color: (color) => setStyle({ color }),
    width: (widthIndex) => setStyle({ widthIndex }),
    fill: (fill) => setStyle({ fill }),
    undo: () => controller.undo(),
    redo: () => controller.redo(),
    front: () => controller.order('front'),
    back: () => controller.order('back'),
    duplicate: () => controller.duplicate(),
    remove: () => controller.deleteSelection(),
  });
  const classroom = new Classroom({
    roomId, params, session, view, renderer, toolbar, history, editor, viewChanged: () => viewChanged(),
  });
  const controller = new Controller({
    scene, session, history, renderer, tools, newId: idMaker(name),
    ui: {
      notice,
      // View only: undo and redo stay off (they would be refused).
      showHistory: (u, r) => toolbar.showHistory(u && !classroom.readOnly, r && !classroom.readOnly),
      showSelection: (ids) => toolbar.showSelection(ids),
      openEditor: (el, done) => editor.open(el, done),
    },
  });
  session.afterCatchUp = () => {
    connection.show('connected');
    controller.resendSelection();
  };
  session.afterChanges = () => controller.afterChanges();
  session.onDropped = () => controller.dropBufferedAppends();
  session.onRemoteDrag = (userId, t) => renderer.setRemoteDrag(userId, t);

  renderer.resize();
  window.addEventListener('resize', () => renderer.resize());
  onThemeChange(() => renderer.invalidate()); // dark mode: the ink is drawn again (theme.js)
  announceChanges(scene); // others' changes, read out politely (ui/announce.js)

  // ---- style: one shared style, and a style of its own for a tool that keeps one ------

  const shared = { color: '#1e1e1e', widthIndex: 0, fill: false };
  const ownStyles = new Map();
  const styleOf = (tool) => {
    const info = toolInfo(tool);
    if (!info || !info.style) return shared;
    if (!ownStyles.has(tool)) ownStyles.set(tool, { ...shared, ...info.style });
    return ownStyles.get(tool);
  };

  function showStyle() {
    const s = styleOf(controller.toolName);
    const w = WIDTHS[s.widthIndex];
    controller.style = { color: s.color, width: clampWidth(w.width), fill: s.fill,
      font: clamp(w.font, LIMITS.MIN_FONT_SIZE, LIMITS.MAX_FONT_SIZE) };
    toolbar.showStyle(s);
  }

  /** A style change applies to the next drawing and, with a selection, to the selection. */
  function setStyle(change) {
    const s = styleOf(controller.toolName);
    Object.assign(s, change);
    showStyle();
    if (!controller.selection.size) return;
    if (change.color !== undefined) controller.restyle({ strokeColor: change.color });
    if (change.widthIndex !== undefined) {
      controller.restyle({ strokeWidth: clampWidth(WIDTHS[change.widthIndex].width) });
    }
    if (change.fill !== undefined) controller.restyle({ fillColor: change.fill ? s.color : null });
  }

  function setTool(next) {
    editor.commit();
    if (!controller.setTool(next)) return;
    toolbar.showTool(next);
    overlay.dataset.tool = next;
    renderer.setSelfCursor(null);
    showStyle();
  }

  // ---- view ----------------------------------------------------------------------------

  const zoomLabel = document.getElementById('zoom-reset');
  function viewChanged() {
    zoomLabel.textContent = `${Math.round(view.scale * 100)}%`;
    controller.scale = view.scale;
    editor.commit();
    renderer.request();
  }
  const zoomBy = (f) => {
    view.zoomAt(window.innerWidth / 2, window.innerHeight / 2, f);
    classroom.ownViewChange();
    viewChanged();
  };
  const resetZoom = () => {
    view.reset();
    classroom.ownViewChange();
    viewChanged();
  };

  function fit() {
    const b = unionBounds(worksheets ? worksheets.pageElements() : scene.elements());
    if (!b) {
      view.reset();
    } else {
      const w = window.innerWidth;
      const h = window.innerHeight - 120;
      const s = Math.min(2, (w - 40) / (b.x1 - b.x0 || 1), (h - 40) / (b.y1 - b.y0 || 1));
      view.scale = Math.max(0.05, s);
      view.ox = w / 2 - ((b.x0 + b.x1) / 2) * view.scale;
      view.oy = 60 + h / 2 - ((b.y0 + b.y1) / 2) * view.scale;
      view.version += 1;
    }
    viewChanged();
  }

  // The first camera: a `view=X,Y,ZOOM` address puts world (X, Y) at the top-left corner at
  // that zoom; without one (or with a bad one), and unless this tab kept a view of the board
  // (a reload: worksheets.js brings it back), a drawing that does not lie whole on screen at
  // the default camera is fitted once the sync is painted, at most at 100 %. One that does
  // stays where it is, so screens of a size see it at the same place.
  const asked = parseViewParam(params.get('view'));
  let keptCamera = false;
  function firstView() {
    const b = unionBounds(worksheets ? worksheets.pageElements() : scene.elements());
    if (asked || keptCamera || !b || view.shows(b, window.innerWidth, window.innerHeight)) return;
    view.fit(b, window.innerWidth, window.innerHeight, 56, 1);
    viewChanged();
  }

  document.getElementById('zoom-in').addEventListener('click', () => zoomBy(1.25));
  document.getElementById('zoom-out').addEventListener('click', () => zoomBy(0.8));
  zoomLabel.addEventListener('click', resetZoom);

  // ---- menu ----------------------------------------------------------------------------

  const api = boardApi(roomId, { get key() { return session.key; }, user: () => session.me.userId });
  // A restore or import made here empties undo at once: the clear that says so comes over the
  // socket, often after the HTTP answer, and an undo in between was spent on nothing visible.
  for (const m of ['restore', 'restoreAt', 'importBoard']) {
    const call = api[m];
    api[m] = async (...args) => {
      const res = await call(...args);
      if (res && res.ok) controller.boardReplaced();
      return res;
    };
  }
  classroom.attach(api);
  const share = buildShare(roomId, api, () => session.role);
  // The past in its own layer over the live board; the live scene and view stay untouched.
  const timeline = buildTimeline({
    api, view: () => view.snapshot(), onClose: () => renderer.invalidate(),
    // The past of the page in view only, as the live board shows it (issue 15).
    shows: (el) => !renderer.shows || renderer.shows(el),
  });
  buildMenu(roomId, api, {
    timeline: () => timeline.open(),
    teacher: () => document.getElementById('teacher-btn').click(),
    // Issue 15: this page, or all of them (the menu's choice); pictures loaded first.
    exportPng: () => worksheets.exportPng(`lanboard-${roomId}`),
    exportPage: (kind) => worksheets.exportScope(kind),
    exportAllPages: () => worksheets.toggleAllPages(),
    download,
    fit,
    order: (to) => controller.order(to),
    // In place: the socket reconnects under the new name and resumes (`since`), so the
    // board, the view and undo stay as they are.
    rename: async () => {
      const next = await askNewName(session.name);
      if (!next || next === session.name) return;
      storeName(next);
      params.set('name', next);
      window.history.replaceState(null, '', `${location.pathname}?${params}`);
      session.rename(next);
    },
    clear: () => {
      if (!session.send(clearMsg())) {
        toast('Not connected: the board can be cleared once the connection is back.');
        return;
      }
      controller.boardReplaced();
    },
  });

  // Ctrl+P: the canvases hold only the current view in screen pixels, so the whole drawing is
  // painted into the print-only picture first (print.css shows nothing else).
  // A canvas, not an image: it is painted before beforeprint returns, with nothing to decode.
  const printCanvas = document.getElementById('print-canvas');
  window.addEventListener('beforeprint', () => {
    // Sharp on paper: about 2,400 pixels across for a small sketch, at least 2x for a big one.
    const els = worksheets.pageElements(); // issue 15: the page on screen
    const b = unionBounds(els);
    const side = b ? Math.max(b.x1 - b.x0, b.y1 - b.y0, 1) : 100;
    const drawing = boardCanvas(els, Math.max(2, Math.min(8, 2400 / side)));
    printCanvas.width = drawing.width;
    printCanvas.height = drawing.height;
    printCanvas.getContext('2d').drawImage(drawing, 0, 0);
  });

  // A button pressed with the mouse gives focus back, so Space then pans instead of pressing
  // it again; from the keyboard (detail 0) focus stays for the next key.
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element
      ? e.target.closest('.toolbar button, .zoom button, .selection-bar button') : null;
    if (b && e.detail > 0) b.blur();
  });

  // ---- input -----------------------------------------------------------------------------

  // The canvas keeps focus from moving (see ui/texteditor.js), so a press on it commits an
  // open text first; registered before the Input handler.
  overlay.addEventListener('pointerdown', () => editor.commit());
  const input = new Input(overlay, {
    view,
    viewChanged: () => {
      classroom.ownViewChange();
      viewChanged();
    },
    tool: () => classroom.tool(controller.tool),
    toolCtx: () => controller.toolCtx(),
    apply: (ops) => (classroom.readOnly ? undefined : controller.apply(ops)),
    cursor: (x, y) => {
      controller.pointer = { x, y };
      session.cursor(x, y);
      const r = controller.tool.cursorRadius;
      if (r) renderer.setSelfCursor({ x, y, r: r / view.scale });
      const h = controller.tool.handleAt ? controller.tool.handleAt(controller.toolCtx(), { x, y }) : null;
      overlay.dataset.handle = h || '';
    },
  });
  classroom.input = input;
  overlay.addEventListener('pointerleave', () => {
    controller.pointer = null;
    renderer.setSelfCursor(null);
  });
  bindKeyboard({
    controller, canvas: overlay, setTool, zoomBy, resetZoom,
    share: () => share.open(),
    setWidth: (i) => setStyle({ widthIndex: i }),
    closeStyle: () => toolbar.closeStyle(),
    useSelect: () => { if (controller.toolName !== 'select') setTool('select'); },
    panBy: (dx, dy) => {
      view.panBy(dx, dy);
      classroom.ownViewChange();
      viewChanged();
    },
    panReady: (on) => {
      input.spaceDown = on;
      overlay.classList.toggle('pan-ready', on);
    },
  });
  // Issue 15: pages, pictures (paste, drop, Insert image), PDFs, locked backgrounds.
  const cameraBefore = view.version;
  worksheets = new Worksheets({
    roomId, scene, view, session, controller, renderer, classroom, notice, fit, viewChanged,
  });
  keptCamera = view.version !== cameraBefore;
  if (asked) {
    view.place(asked.x, asked.y, asked.zoom);
    viewChanged();
  }
  bindClipboard(controller, notice, (files) => worksheets.inserts.takeFiles(files));

  // Remote strokes that stopped growing move to the static layer; idle cursors fade out.
  setInterval(() => {
    const now = performance.now();
    scene.expireLive(now);
    if (session.expireCursors(now)) renderer.setCursors(session.cursors);
    renderer.request();
  }, 250);

  const stats = session.stats;
  renderer.onFrame(() => {
    stats.frames += 1;
    if (stats.syncReceivedAt && stats.syncToFrameMs === null && !renderer.needFull) {
      // The frame holding the sync is painted; the next animation frame is after it is shown.
      stats.syncToFrameMs = -1;
      if (!stats.firstSyncDone) firstView();
      stats.firstSyncDone = true;
      stats.syncPaintedMs = performance.now() - stats.syncReceivedAt;
      stats.syncRepaintMs = renderer.stats.lastRepaintMs;
      stats.syncFrameStartMs = renderer.stats.frameStart - stats.syncReceivedAt;
      requestAnimationFrame(() => {
        stats.syncToFrameMs = performance.now() - stats.syncReceivedAt;
      });
      // The spatial index (hit tests, the eraser) is built once the board is on screen.
      const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 50));
      idle(() => scene.warmUp());
    }
  });

  setTool('pen');
  toolbar.showHistory(false, false);
  // The board kept in this browser is drawn at once; the socket then resumes from its seq.
  const boardCache = joinWithCache({ roomId, scene, session, renderer });

  // For tests, benchmarks and debugging from the console.
  window.__lanboard = {
    boardCache,
    scene, view, renderer, history, session, controller, stats, timeline, classroom,
    laser: classroom.laser, follow: classroom.follow,
    get readOnly() {
      return classroom.readOnly;
    },
    net: session.net, cursors: session.cursors, me: session.me,
    get ready() {
      return session.ready;
    },
    get users() {
      return session.users;
    },
    get selection() {
      return controller.selectedInOrder();
    },
    select: (ids, how) => controller.select(ids, how),
    setTool, setStyle, fit, worksheets,
    undo: () => controller.undo(),
    redo: () => controller.redo(),
    apply: (ops) => controller.apply(ops),
  };
}

/** The connection button in the top bar: its state and text; a click retries at once. */
function connectionStatus() {
  const btn = document.getElementById('conn');
  const text = document.getElementById('conn-text');
  btn.addEventListener('click', () => window.__lanboard && window.__lanboard.net.reconnectNow());
  let countdown = null;
  return {
    show(state, detail) {
      clearInterval(countdown);
      countdown = null;
      btn.dataset.state = state;
      const texts = {
        connecting: navigator.onLine === false ? 'Offline' : 'Connecting…',
        open: 'Syncing…',
        connected: 'Connected',
        removed: detail?.reason ? `Removed: ${detail.reason}` : 'Removed by the teacher',
        // Issue 14: the teacher made new links; a click offers the way on (classroom.js).
        replaced: 'Link replaced: ask the teacher for the new one',
      };
      if (state === 'reconnecting') {
        // Count the wait down, so the page never shows a number that is no longer true.
        const due = performance.now() + (detail?.delay || 0);
        const tick = () => {
          const left = Math.max(0, Math.ceil((due - performance.now()) / 1000));
          text.textContent = `Offline · retrying in ${left} s`;
        };
        tick();
        countdown = setInterval(tick, 250);
      } else {
        text.textContent = texts[state] || state;
      }
      btn.title = state === 'reconnecting' ? 'Click to retry now; your drawing is kept.'
        : 'Connection to the server';
    },
  };
}

/** The board's display name ("Math 7B – Fractions"), when it has one, beside its id. */
async function showBoardName() {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/name`);
    const data = res.ok ? await res.json() : null;
    const shown = data && typeof data.name === 'string' ? data.name : '';
    if (!shown) return;
    const header = document.getElementById('room-name');
    header.textContent = shown;
    header.title = `Board ${roomId}`;
    document.title = `${shown} · LANBoard`;
  } catch {
    // no name: the id stays
  }
}

async function boot() {
  if (!roomId) {
    location.href = '/';
    return;
  }
  document.getElementById('room-name').textContent = roomId;
  document.title = `${roomId} · LANBoard`;
  showBoardName();
  let name = cleanUserId(params.get('name') || '');
  if (name) storeName(name);
  else name = storedName() || await askName();
  start(name);
}

boot();

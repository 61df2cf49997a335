// The lesson timeline: a full-screen view of the board at any moment of the lesson, over the
// live board (which keeps updating underneath and is back as it is when the view closes).
// A slider picks the moment, Play shows the strokes appearing in order at 1x-16x, a filter
// shows one person's strokes, and "Restore this moment" makes the board that moment for
// everyone through the server's restore (an ordinary restore, undone through History).
//
// The log comes from GET /api/rooms/{id}/changes (api.js), paged 5,000 at a time, on top of
// the board at its oldest kept seq; timeline.js replays it and pastlayer.js paints it.

import { unionBounds } from '../export.js';
import { MAX_SCALE, MIN_SCALE } from '../view.js';
import { PastLayer } from '../pastlayer.js';
import { Timeline } from '../timeline.js';
import { confirmAction, toast } from './dialogs.js';

/** Changes a second at 1x: about the pace a pen's appends go out while drawing. */
export const CHANGES_PER_SECOND = 30;
export const SPEEDS = [1, 2, 4, 8, 16];
/** A pan or zoom of the past is painted exactly once the camera rests this long. */
const CAMERA_REST_MS = 250;
/** After this long with no new moment, the moment is painted again exactly (pastlayer.js). */
const REST_MS = 150;
/**
 * The most changes a timeline holds (about 40,000 strokes, a long lesson): a board kept for
 * weeks has more, and the timeline then starts from the board that many changes ago.
 */
export const MAX_LESSON_CHANGES = 200_000;

/** Fetches the lesson's kept log: {oldest, base, changes, seq} or {error}. */
export async function loadLesson(api, most = MAX_LESSON_CHANGES) {
  let res = await api.changes(null); // from the oldest board the server can rebuild
  if (!res.ok) {
    return { error: res.status === 404 ? 'nothing was drawn on this board yet' : res.error };
  }
  let oldest = res.data.oldest || 0;
  const current = res.data.seq;
  if (current - oldest > most) {
    oldest = current - most;
    res = await api.changes(oldest);
    if (!res.ok) return { error: res.error };
  }
  let base = [];
  if (oldest > 0) {
    const board = await api.boardAt(oldest);
    if (!board.ok) return { error: board.error };
    base = board.data.elements || [];
  }
  const changes = [...res.data.changes];
  while (changes.length && changes.length < most) {
    const last = changes[changes.length - 1].seq;
    if (last >= current) break;
    const next = await api.changes(last);
    if (!next.ok) return { error: next.error };
    if (!next.data.changes.length) break;
    changes.push(...next.data.changes);
  }
  return { oldest, base, changes: changes.filter((c) => c.seq <= current), seq: current };
}

/**
 * @param {object} o
 * @param {object} o.api boardApi(roomId)
 * @param {() => object} o.view the live page's camera ({scale, ox, oy}) to show the past in
 * @param {() => void} o.onClose the live board is shown again
 */
export function buildTimeline({ api, view, onClose, shows = null }) {
  const root = document.getElementById('timeline');
  const canvas = document.getElementById('timeline-canvas');
  const slider = document.getElementById('timeline-slider');
  const label = document.getElementById('timeline-label');
  const playBtn = document.getElementById('timeline-play');
  const speedSel = document.getElementById('timeline-speed');
  const personSel = document.getElementById('timeline-person');
  const restoreBtn = document.getElementById('timeline-restore');
  const closeBtn = document.getElementById('timeline-close');

  let timeline = null;
  let layer = null;
  let position = 0;
  let playing = false;
  let lastTick = 0;
  let carry = 0;
  let frameAsked = false;
  let shown = -1;
  let restTimer = null;
  /** The camera the past is shown with, and whether it is moving (a pan or zoom). */
  let cam = null;
  let camTimer = null;
  /** The pointer dragging the past: {id, x, y, cam} where it went down. */
  let grab = null;

  for (const s of SPEEDS) {
    const o = document.createElement('option');
    o.value = String(s);
    o.textContent = `${s}×`;
    speedSel.append(o);
  }

  function setControls(enabled) {
    for (const el of [slider, playBtn, speedSel, personSel, restoreBtn]) el.disabled = !enabled;
  }

  function showLabel() {
    if (!timeline) return;
    const seq = timeline.seqAt(position);
    label.textContent = `Change ${position.toLocaleString()} of ` +
      `${timeline.length.toLocaleString()} · seq ${seq}`;
    // Read out as the slider's value (the label itself is not live: it changes every frame
    // while playing).
    slider.setAttribute('aria-valuetext', label.textContent);
    restoreBtn.disabled = timeline.length === 0;
  }

  function paint() {
    frameAsked = false;
    if (!layer) return;
    if (playing) advance(performance.now());
    if (camTimer !== null) {
      if (playing) ask(); // painted again once the camera rests
      return;
    }
    if (position !== shown) {
      layer.show(position);
      shown = position;
      showLabel();
      clearTimeout(restTimer);
      restTimer = setTimeout(rest, REST_MS);
    }
    if (playing) ask();
  }

  /** Scrubbing or playing stopped: the moment in exact board order. */
  function rest() {
    if (!layer || playing || camTimer !== null || position !== shown) return;
    layer.exact(position);
    root.dataset.exact = String(position);
  }

  function ask() {
    if (frameAsked) return;
    frameAsked = true;
    requestAnimationFrame(paint);
  }

  function advance(now) {
    const dt = Math.min(250, now - lastTick);
    lastTick = now;
    carry += (dt / 1000) * CHANGES_PER_SECOND * Number(speedSel.value);
    const step = Math.floor(carry);
    carry -= step;
    position = Math.min(timeline.length, position + step);
    slider.value = String(position);
    if (position >= timeline.length) setPlaying(false);
  }

  function setPlaying(on) {
    playing = on && timeline !== null;
    playBtn.textContent = playing ? 'Pause' : 'Play';
    playBtn.setAttribute('aria-pressed', String(playing));
    root.dataset.playing = String(playing);
    if (!playing) {
      clearTimeout(restTimer);
      restTimer = setTimeout(rest, REST_MS);
    }
    if (playing) {
      if (position >= timeline.length) position = 0;
      lastTick = performance.now();
      carry = 0;
      ask();
    }
  }

  function goTo(i) {
    position = Math.max(0, Math.min(timeline ? timeline.length : 0, i));
    slider.value = String(position);
    delete root.dataset.exact;
    if (position === shown) { // nothing new to paint: only the exact paint is due again
      clearTimeout(restTimer);
      restTimer = setTimeout(rest, REST_MS);
    }
    ask();
  }

  /**
   * The live page's camera, or one fitted to the whole lesson when the live view shows none
   * of it (the person had panned away): the past must not open on an empty screen.
   */
  function camera() {
    const v = view();
    const b = unionBounds(timeline.elementsAt(timeline.length));
    if (!b) return v;
    const w = window.innerWidth;
    const h = window.innerHeight - 80; // the bar at the bottom
    const [x0, y0] = [-v.ox / v.scale, -v.oy / v.scale];
    const [x1, y1] = [(w - v.ox) / v.scale, (h - v.oy) / v.scale];
    if (b.x1 >= x0 && b.x0 <= x1 && b.y1 >= y0 && b.y0 <= y1) return v;
    const scale = Math.max(0.05, Math.min(2, (w - 40) / (b.x1 - b.x0 || 1),
      (h - 40) / (b.y1 - b.y0 || 1)));
    return { scale, ox: w / 2 - ((b.x0 + b.x1) / 2) * scale,
      oy: h / 2 - ((b.y0 + b.y1) / 2) * scale };
  }

  function rebuild() {
    if (!timeline) return;
    layer.resize(window.innerWidth, window.innerHeight, window.devicePixelRatio || 1);
    layer.configure(cam, personSel.value || null);
    layer.prepare();
    shown = -1;
    ask();
  }

  function fillPeople() {
    personSel.replaceChildren();
    const all = document.createElement('option');
    all.value = '';
    all.textContent = 'Everyone';
    personSel.append(all);
    for (const p of timeline.people()) {
      const o = document.createElement('option');
      o.value = p.userId;
      o.textContent = `${p.userId} (${p.count})`; // text, never HTML
      personSel.append(o);
    }
  }

  async function open() {
    if (!root.hidden) return;
    root.hidden = false;
    document.body.classList.add('timeline-open');
    setControls(false);
    label.textContent = 'Loading the lesson…';
    closeBtn.focus();
    const lesson = await loadLesson(api);
    if (root.hidden) return; // closed while loading
    if (lesson.error) {
      label.textContent = `The timeline is not available: ${lesson.error}`;
      return;
    }
    timeline = new Timeline(lesson);
    layer = new PastLayer(canvas, timeline);
    layer.shows = shows;
    slider.min = '0';
    slider.max = String(timeline.length);
    fillPeople();
    cam = camera();
    setControls(true);
    position = timeline.length;
    slider.value = String(position);
    rebuild();
    slider.focus();
  }

  function close() {
    if (root.hidden) return;
    setPlaying(false);
    clearTimeout(restTimer);
    clearTimeout(camTimer);
    camTimer = null;
    cam = null;
    grab = null;
    root.hidden = true;
    document.body.classList.remove('timeline-open');
    timeline = null;
    layer = null; // its bitmaps go with it
    shown = -1;
    onClose();
  }

  async function restore() {
    if (!timeline || !timeline.length) return;
    setPlaying(false);
    const seq = timeline.seqAt(position);
    const ok = await confirmAction('Restore this moment?',
      `The board becomes what it was after change ${seq}, for everyone. The board as it is ` +
      'now is saved in History first, so this can be undone there.', 'Restore');
    if (!ok) return;
    const res = await api.restoreAt(seq);
    if (!res.ok) {
      toast(`Restore failed: ${res.error}`);
      return;
    }
    close();
    toast(`The board is back as it was after change ${seq}.`);
  }

  slider.addEventListener('input', () => {
    setPlaying(false);
    goTo(Number(slider.value));
  });
  playBtn.addEventListener('click', () => setPlaying(!playing));
  personSel.addEventListener('change', rebuild);

  // ---- pan and zoom of the past: moved as a bitmap, exact once it rests -----------------

  function moveCamera(next) {
    if (!layer) return;
    cam = next;
    delete root.dataset.exact;
    layer.preview(cam);
    clearTimeout(camTimer);
    camTimer = setTimeout(() => {
      camTimer = null;
      rebuild();
    }, CAMERA_REST_MS);
  }

  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (!cam) return;
    // Pinch on a trackpad comes as a wheel with ctrlKey: zoom; a plain wheel zooms too,
    // as on the live board.
    const factor = Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.0015));
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, cam.scale * factor));
    const wx = (e.clientX - cam.ox) / cam.scale;
    const wy = (e.clientY - cam.oy) / cam.scale;
    moveCamera({ scale, ox: e.clientX - wx * scale, oy: e.clientY - wy * scale });
  }, { passive: false });

  canvas.addEventListener('pointerdown', (e) => {
    if (!cam || grab) return;
    grab = { id: e.pointerId, x: e.clientX, y: e.clientY, cam };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!grab || e.pointerId !== grab.id) return;
    moveCamera({ scale: grab.cam.scale, ox: grab.cam.ox + e.clientX - grab.x,
      oy: grab.cam.oy + e.clientY - grab.y });
  });
  const release = (e) => { if (grab && e.pointerId === grab.id) grab = null; };
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
  restoreBtn.addEventListener('click', () => restore().catch((e) => toast(String(e))));
  closeBtn.addEventListener('click', close);
  // Caught before the board's own handlers (window, bubbling): while the past is shown no
  // shortcut, undo or paste reaches the live board. Default actions (the slider's arrow
  // keys) still happen.
  window.addEventListener('keydown', (e) => {
    if (root.hidden) return;
    e.stopPropagation();
    if (document.querySelector('dialog[open]')) return; // the confirm dialog's own keys
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === ' ' && e.target !== playBtn && e.target.tagName !== 'SELECT' &&
               e.target.tagName !== 'BUTTON') {
      e.preventDefault();
      setPlaying(!playing);
    }
  }, true);
  for (const type of ['keyup', 'copy', 'cut', 'paste']) {
    window.addEventListener(type, (e) => { if (!root.hidden) e.stopPropagation(); }, true);
  }
  // The bitmaps are one screen each: a resize builds them again, once the window rests.
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (layer) rebuild(); }, 200);
  });

  return {
    open,
    close,
    get isOpen() {
      return !root.hidden;
    },
    // For tests and benchmarks.
    get timeline() {
      return timeline;
    },
    get layer() {
      return layer;
    },
    get position() {
      return position;
    },
    goTo,
    setPlaying,
  };
}

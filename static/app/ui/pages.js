// The page bar (issue 15): previous, "2 / 5", next, and for the teacher "add a page";
// PageUp and PageDown turn pages too. Also the selection bar's Lock button, the teacher's
// (students cannot pick up locked elements at all). Turning a page keeps the view of the page
// left and brings back the one kept for the page shown, or fits that page's drawing.

import { MAX_PAGES } from '../pages.js';

/** The page bar is looked at this often for a new page count (elements on a new page). */
const COUNT_EVERY_MS = 300;

function editing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}

/**
 * @param {object} o {pages: Pages, scene, view, session, controller, renderer,
 *   fit(): shows the page's drawing, viewChanged(): the page's repaint after a view move,
 *   ownViewChange(): the person moved the view (a followed teacher sends it)}
 */
export function buildPageBar(o) {
  const { pages, scene, view, session, controller, renderer } = o;
  const bar = document.getElementById('page-bar');
  const label = document.getElementById('page-label');
  const prev = document.getElementById('page-prev');
  const next = document.getElementById('page-next');
  const add = document.getElementById('page-add');
  const lockBtn = document.getElementById('lock-btn');

  let countedVersion = -1;
  let countedAt = 0;
  let keptViewVersion = view.version;

  let shown = '';
  function show() {
    const teacher = session.role === 'teacher';
    const n = pages.count;
    // Called every frame: the DOM is touched only when something it shows changed.
    const key = `${pages.current}/${n}/${teacher}`;
    if (key === shown) return;
    shown = key;
    label.textContent = `${pages.current} / ${n}`;
    label.title = `Page ${pages.current} of ${n}`;
    prev.disabled = pages.current <= 1;
    next.disabled = pages.current >= n;
    add.hidden = !teacher;
    add.disabled = n >= MAX_PAGES;
    // One page and no one to add more: the bar would only take room on a phone.
    bar.hidden = n <= 1 && !teacher;
    const all = document.getElementById('export-all-pages');
    if (all) all.hidden = n <= 1;
    document.body.dataset.page = String(pages.current);
  }

  /** Counts the board's pages again when it changed (at most every COUNT_EVERY_MS). */
  function refresh(force = false) {
    const now = performance.now();
    pages.setSetting(session.settings.pages);
    if (force || (scene.version !== countedVersion && now - countedAt >= COUNT_EVERY_MS)) {
      countedVersion = scene.version;
      countedAt = now;
      pages.countBoard(scene.elements());
    }
    if (view.version !== keptViewVersion) {
      keptViewVersion = view.version;
      pages.keepView(view.snapshot());
    }
    show();
  }

  /**
   * Shows page n. `followed`: the teacher's view brought this page here (their view is
   * applied next, so nothing is fitted and nothing is sent).
   */
  function turnTo(n, { followed = false } = {}) {
    const { changed, view: kept } = pages.go(n, view.snapshot());
    if (!changed) return;
    controller.clearSelection();
    renderer.invalidate();
    if (!followed) {
      if (kept) {
        view.scale = kept.scale;
        view.ox = kept.ox;
        view.oy = kept.oy;
        view.version += 1;
        o.viewChanged();
      } else {
        o.fit();
      }
      keptViewVersion = view.version;
      o.ownViewChange();
    } else {
      keptViewVersion = view.version;
    }
    refresh(true);
  }

  function addPage() {
    if (session.role !== 'teacher') return;
    const n = Math.min(MAX_PAGES, pages.count + 1);
    session.send({ type: 'settings', data: { pages: n } });
    pages.setSetting(n);
    turnTo(n);
  }

  prev.addEventListener('click', () => turnTo(pages.current - 1));
  next.addEventListener('click', () => turnTo(pages.current + 1));
  add.addEventListener('click', addPage);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'PageUp' && e.key !== 'PageDown') return;
    if (editing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const timeline = document.getElementById('timeline');
    if (timeline && !timeline.hidden) return;
    e.preventDefault();
    if (e.key === 'PageUp') turnTo(pages.current - 1);
    else if (pages.current < pages.count) turnTo(pages.current + 1);
  });

  // The Lock button: the teacher's, on a selection. Locked elements show a lock in its state.
  function showLock(ids) {
    if (!lockBtn) return;
    const teacher = session.role === 'teacher';
    lockBtn.hidden = !teacher || !ids.length;
    const locked = controller.selectionLocked();
    lockBtn.setAttribute('aria-pressed', String(locked));
    lockBtn.title = locked ? 'Unlock: students may move and erase it again'
      : 'Lock: students draw over it but cannot move or erase it';
    lockBtn.setAttribute('aria-label', locked ? 'Unlock' : 'Lock');
  }
  if (lockBtn) {
    lockBtn.addEventListener('click', () => {
      controller.toggleLock();
      showLock([...controller.selection]);
    });
  }

  refresh(true);
  return { refresh, turnTo, addPage, showLock };
}

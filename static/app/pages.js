// A board's pages (issue 15), like the slides of a lesson: which page this person is on, how
// many there are, and each page's own view. An element's `page` says where it lives; absent
// means page 1, so a board drawn before pages (or by a seed client) is all on page 1. The
// count is max(settings.pages, the highest page an element is on): a PDF import raises the
// setting, and a page someone drew on always counts.
//
// Only the current page is drawn, hit-tested, selected and exported by default; the rest of
// the scene stays loaded (the sync carries every page: images are only references), so
// turning a page is instant. Pure: no DOM; the storage is passed in (sessionStorage on the
// page, so a reload comes back to the same page and view, and each tab has its own).

import { LIMITS } from './elements/fields.js';

export const MAX_PAGES = LIMITS.MAX_PAGES;

/** The page an element is on: its `page`, or 1. */
export function pageOf(el) {
  const p = el && el.page;
  return Number.isInteger(p) && p >= 1 && p <= MAX_PAGES ? p : 1;
}

/** The highest page any of `elements` is on (1 for none). */
export function highestPage(elements) {
  let top = 1;
  for (const el of elements) {
    const p = pageOf(el);
    if (p > top) top = p;
  }
  return top;
}

/** The element placed on `page`: page 1 is left out, so seed clients still read it. */
export function onPage(el, page) {
  const out = { ...el };
  if (page > 1) out.page = page;
  else delete out.page;
  return out;
}

/** A moving view is written to storage at most this often. */
const SAVE_EVERY_MS = 500;

function cleanView(v) {
  return v && Number.isFinite(v.scale) && v.scale > 0 && Number.isFinite(v.ox) &&
    Number.isFinite(v.oy) ? { scale: v.scale, ox: v.ox, oy: v.oy } : null;
}

export class Pages {
  /**
   * @param {object} o {key: storage key for this board, storage: a Storage or null}
   */
  constructor({ key = '', storage = null } = {}) {
    this.key = key;
    this.storage = storage;
    this.current = 1;
    /** settings.pages: the pages the teacher added or an import made. */
    this.setting = 1;
    /** The highest page an element is on, as last counted. */
    this.highest = 1;
    /** page -> {scale, ox, oy}: the view each page was left at. */
    this.views = new Map();
    this._saveTimer = null;
    this._load();
  }

  /** The board's pages; the one this person is on counts too (a board cleared under them). */
  get count() {
    return Math.max(this.setting, this.highest, this.current);
  }

  /** Whether el is drawn and picked on this page. */
  shows(el) {
    return pageOf(el) === this.current;
  }

  /** settings.pages from the wire (anything but a whole number in range counts as 1). */
  setSetting(n) {
    this.setting = Number.isInteger(n) && n >= 1 && n <= MAX_PAGES ? n : 1;
  }

  /** Counts the pages the board's elements are on; true when the count changed. */
  countBoard(elements) {
    const before = this.count;
    this.highest = highestPage(elements);
    return this.count !== before;
  }

  /** A new element of this person's goes on the current page. */
  stamp(el) {
    return onPage(el, this.current);
  }

  /**
   * Turns to page n (clamped to 1..MAX_PAGES): the view of the page being left is kept
   * (`view`, a snapshot). Returns {page, view, changed}: `view` is the one kept for page n,
   * null when it has none yet (the caller then shows the page's drawing).
   */
  go(n, view) {
    const page = Math.max(1, Math.min(MAX_PAGES, Math.round(Number(n) || 1)));
    if (page === this.current) return { page, view: null, changed: false };
    const leaving = cleanView(view);
    if (leaving) this.views.set(this.current, leaving);
    this.current = page;
    this._save();
    return { page, view: this.views.get(page) || null, changed: true };
  }

  /** Remembers the current page's view (called as it moves: stored at most twice a second). */
  keepView(view) {
    const v = cleanView(view);
    if (!v) return;
    this.views.set(this.current, v);
    if (this._saveTimer) return;
    this._saveTimer = setTimeout(() => {
      this._saveTimer = null;
      this._save();
    }, SAVE_EVERY_MS);
    if (this._saveTimer.unref) this._saveTimer.unref(); // node: never keeps a test alive
  }

  /** Writes what is kept now (the tab is being left). */
  flush() {
    clearTimeout(this._saveTimer);
    this._saveTimer = null;
    this._save();
  }

  _load() {
    if (!this.storage || !this.key) return;
    try {
      const saved = JSON.parse(this.storage.getItem(this.key) || 'null');
      if (!saved || typeof saved !== 'object') return;
      if (Number.isInteger(saved.current) && saved.current >= 1 && saved.current <= MAX_PAGES) {
        this.current = saved.current;
      }
      for (const [p, v] of Object.entries(saved.views || {})) {
        const n = Number(p);
        const clean = cleanView(v);
        if (Number.isInteger(n) && n >= 1 && n <= MAX_PAGES && clean) this.views.set(n, clean);
      }
    } catch {
      // a broken or foreign entry: start on page 1
    }
  }

  _save() {
    if (!this.storage || !this.key) return;
    try {
      this.storage.setItem(this.key, JSON.stringify({
        current: this.current, views: Object.fromEntries(this.views),
      }));
    } catch {
      // storage full or off (private mode): pages still work while the tab is open
    }
  }
}

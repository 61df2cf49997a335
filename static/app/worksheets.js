// Issue 15 wired in one place, as classroom.js is issue 14's: the pages (pages.js and the page
// bar), the picture cache (assets.js), the insert paths (drop.js: paste, drop, the Insert
// image button, PDFs) and what a locked element means to a student. main.js builds one.

import { AssetCache } from './assets.js';
import { bindInserts } from './drop.js';
import { boardCanvas, exportPng, stackedCanvas } from './export.js';
import { setViewPage } from './follow.js';
import { pageOf, Pages } from './pages.js';
import { buildPageBar } from './ui/pages.js';

export class Worksheets {
  /**
   * @param {object} o {roomId, scene, view, session, controller, renderer, classroom, notice,
   *   fit(), viewChanged()}
   */
  constructor(o) {
    Object.assign(this, o);
    this.allPages = false;
    const { scene, session, controller, renderer, classroom } = o;
    let storage = null;
    try {
      storage = window.sessionStorage;
    } catch {
      storage = null;
    }
    this.pages = new Pages({ key: `lanboard.pages.${o.roomId}`, storage });
    const pages = this.pages;
    this.assets = new AssetCache(o.roomId, () => renderer.invalidate()).install();

    // Only the current page is drawn and picked; a student passes over locked elements.
    renderer.shows = (el) => pages.shows(el);
    scene.finder.shows = (el) => pages.shows(el);
    scene.finder.pickable = (el) => el.locked !== true || session.role === 'teacher';
    controller.onPage = (el) => pages.stamp(el);
    setViewPage(() => pages.current);
    // Follow me: the teacher's page first, then their view (classroom.goTo).
    classroom.follow.onPage = (p) => this.bar.turnTo(p, { followed: true });

    this.bar = buildPageBar({
      pages, scene, view: o.view, session, controller, renderer,
      fit: () => o.fit(), viewChanged: () => o.viewChanged(),
      ownViewChange: () => classroom.ownViewChange(),
    });
    // The selection bar's Lock button follows the selection (the toolbar shows the bar).
    const shown = controller.ui.showSelection;
    controller.ui.showSelection = (ids) => {
      shown(ids);
      this.selectionChanged(ids);
    };
    // The teacher locked something a student holds selected: it leaves their selection, so
    // no handle or drag is offered for it (the server would refuse the change whole).
    const afterChanges = session.afterChanges;
    session.afterChanges = () => {
      afterChanges();
      if (!controller.selection.size) return;
      const held = [...controller.selection];
      const keep = held.filter((id) => scene.picks(scene.get(id)));
      if (keep.length !== held.length) controller.select(keep, 'replace');
    };
    const kept = pages.views.get(pages.current);
    if (kept) Object.assign(o.view, kept, { version: o.view.version + 1 });
    renderer.onFrame(() => this.bar.refresh());
    window.addEventListener('pagehide', () => pages.flush());

    const auth = { get key() { return session.key; }, user: () => session.me.userId };
    this.inserts = bindInserts({
      roomId: o.roomId, auth, controller, view: o.view, cache: this.assets, pages,
      notice: o.notice, readOnly: () => classroom.readOnly,
      turnTo: (p) => this.bar.turnTo(p),
      countPages: (n) => {
        pages.setSetting(Math.max(pages.setting, n));
        this.bar.refresh(true);
      },
    });
  }

  /**
   * What a download covers: this page's number, or 'all' (the menu's choice). An SVG is one
   * picture and the pages share their coordinates, so it is always this page.
   */
  exportScope(kind = '') {
    return this.allPages && kind !== 'svg' ? 'all' : this.pages.current;
  }

  /** The menu's "All pages in downloads" item. */
  toggleAllPages() {
    this.allPages = !this.allPages;
    const item = document.getElementById('export-all-pages');
    if (item) item.setAttribute('aria-checked', String(this.allPages));
  }

  /** The elements on the page this person is on, in board order. */
  pageElements() {
    return [...this.scene.elements()].filter((el) => this.pages.shows(el));
  }

  /** The selection changed: the Lock button follows. */
  selectionChanged(ids) {
    this.bar.showLock(ids);
  }

  /** Every element's picture is loaded (or failed) before a picture of the board is made. */
  async _pictures(elements) {
    await this.assets.whenLoaded(elements.filter((el) => el.asset).map((el) => el.asset));
  }

  /** The PNG download: this page, or every page one below the other. */
  async exportPng(name, all = this.allPages) {
    const els = all ? [...this.scene.elements()] : this.pageElements();
    await this._pictures(els);
    if (!all) {
      await exportPng(els, name);
      return;
    }
    const byPage = new Map();
    for (const el of els) {
      const p = pageOf(el);
      if (!byPage.has(p)) byPage.set(p, []);
      byPage.get(p).push(el);
    }
    const groups = [];
    for (let p = 1; p <= this.pages.count; p += 1) groups.push(byPage.get(p) || []);
    await exportPng(null, name, stackedCanvas(groups));
  }

  /** The print picture: this page. */
  printCanvas(scale) {
    return boardCanvas(this.pageElements(), scale);
  }
}

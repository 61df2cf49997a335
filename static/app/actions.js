// The actions on a selection: restyle, nudge, delete, order, duplicate, copy and paste. Each
// is put on the scene's overlay, sent and recorded in history through the controller's own
// send and _recorded; they are mixed into Controller (controller.js), whose methods they are.

import { checkElement, transformElement, wireElement } from './elements/index.js';

/** Duplicates and offset pastes land this far from their originals. */
const COPY_OFFSET = 10;

export const selectionActions = {
  /** A toolbar style change: the next drawing uses it, and a selection takes it at once. */
  restyle(set) {
    const ids = this.selectedInOrder();
    if (!ids.length) return;
    this._recorded('restyle', ids, () => this.sendUpdate(ids, { set }), { change: { set } });
    this.renderer.request();
  },

  nudge(dx, dy) {
    const ids = this.selectedInOrder();
    if (!ids.length) return;
    const change = { move: [dx, dy] };
    this._recorded('move', ids, () => this.sendUpdate(ids, change), { change });
    this.renderer.request();
  },

  deleteIds(ids) {
    if (!ids.length) return;
    this._recorded('delete', ids, () => this.sendErase(ids));
    this._pruneSelection();
    this.renderer.request();
  },

  deleteSelection() {
    this.deleteIds(this.selectedInOrder());
  },

  /** Bring to front or send to back; undo puts back what was above or below them. */
  order(to) {
    const ids = this.selectedInOrder();
    if (!ids.length) return;
    const board = [...this.scene.elements()].map((el) => el.id);
    const chosen = new Set(ids);
    let others;
    if (to === 'front') {
      const first = board.findIndex((id) => chosen.has(id));
      others = board.slice(first).filter((id) => !chosen.has(id));
    } else {
      let last = -1;
      board.forEach((id, i) => { if (chosen.has(id)) last = i; });
      others = board.slice(0, last + 1).filter((id) => !chosen.has(id));
    }
    this._recorded('order', ids, () => this.sendOrder(ids, to),
      { order: { ids, to, others } });
    this.renderer.request();
  },

  /** New elements from copies (new ids), drawn, recorded and selected. */
  placeCopies(elements, t) {
    const made = [];
    for (const src of elements) {
      // A copy lands on the page this person is on (issue 15), unlocked.
      let el = { ...transformElement(wireElement(src), t), id: this.newId() };
      delete el.locked;
      if (this.onPage) el = this.onPage(el);
      if (!checkElement(el)) made.push(el);
    }
    if (!made.length) return 0;
    const ids = made.map((el) => el.id);
    this._recorded('paste', ids, () => { for (const el of made) this.sendDraw(el); });
    this.select(ids, 'replace');
    this.renderer.request();
    return made.length;
  },

  duplicate() {
    const els = this.selectedInOrder().map((id) => this.scene.get(id));
    this.placeCopies(els, { dx: COPY_OFFSET, dy: COPY_OFFSET });
  },

  /**
   * Issue 15, the teacher's: lock the selection (students can then neither move nor erase it)
   * or, when all of it is locked already, unlock it. One `update set {locked}`, undoable.
   */
  toggleLock() {
    const ids = this.selectedInOrder();
    if (!ids.length) return;
    const locked = !ids.every((id) => this.scene.get(id)?.locked === true);
    const change = { set: { locked } };
    this._recorded(locked ? 'lock' : 'unlock', ids, () => this.sendUpdate(ids, change),
      { change });
    this.renderer.request();
  },

  /** Whether the whole selection is locked (the Lock button's state). */
  selectionLocked() {
    const ids = [...this.selection];
    return ids.length > 0 && ids.every((id) => this.scene.get(id)?.locked === true);
  },

  /** The selection as elements in board order, for the clipboard. */
  selectedElements() {
    return this.selectedInOrder().map((id) => wireElement(this.scene.get(id)));
  },

  /** Paste: centred on the pointer when it is over the board, else offset from the source. */
  paste(elements) {
    const valid = elements.filter((el) => !checkElement(el));
    if (!valid.length) return 0;
    let t;
    const box = this.renderer.boxOfElements(valid);
    if (this.pointer && box) {
      t = { dx: Math.round(this.pointer.x - (box.x0 + box.x1) / 2),
        dy: Math.round(this.pointer.y - (box.y0 + box.y1) / 2) };
    } else {
      this._pasteRepeat += 1;
      t = { dx: COPY_OFFSET * this._pasteRepeat, dy: COPY_OFFSET * this._pasteRepeat };
    }
    const n = this.placeCopies(valid, t);
    if (n < elements.length) this.ui.notice(`${elements.length - n} pasted elements were not valid.`);
    return n;
  },
};

// Tool ops -> the scene and the wire. Every local change goes through here: it is put on the
// scene's local overlay at once, sent with a message built by protocol.js (through the
// session, which paces it), and recorded in history so Undo can take it back.
//
// The selection lives here too: what is selected (sent to the others as `select`), a live drag
// of it (`transform` previews at most ~30 a second, then one `update`) and text edits; the
// other actions on it (restyle, delete, duplicate, nudge, order, paste) are in actions.js. Element types are never named: the
// registry (elements/index.js) answers for every type.

import {
  applyUpdate, checkElement, LIMITS, typeOf,
} from './elements/index.js';
import { selectionActions } from './actions.js';
import { LiveDrag } from './drag.js';
import {
  appendMsg, drawMsg, eraseMsgs, orderMsg, selectMsg, transformMsg, updateMsg,
} from './protocol.js';

/** Appends of a stroke in progress go out at most this often (about 30 per second). */
const APPEND_EVERY_MS = 33;
const MAX_IDS = LIMITS.MAX_IDS || 2000;

function chunks(list, n = MAX_IDS) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

export class Controller {
  /**
   * @param {object} o
   * @param {object} o.scene, o.session, o.history, o.renderer
   * @param {object} o.tools name -> tool (tools/index.js)
   * @param {() => string} o.newId
   * @param {object} o.ui {notice(text), showHistory(u, r), showSelection(ids), openEditor(el, onDone)}
   */
  constructor({ scene, session, history, renderer, tools, newId, ui }) {
    this.scene = scene;
    this.session = session;
    this.history = history;
    this.renderer = renderer;
    this.tools = tools;
    this.newId = newId;
    this.ui = ui;
    this.toolName = 'pen';
    this.style = { color: '#1e1e1e', width: 2, font: 18, fill: false };
    this.selection = new Set();
    this.scale = 1;
    this.pointer = null; // last world point over the board, for pasting there
    this._appendBuf = new Map();
    this._appendTimer = null;
    this._eraseGroups = new Map();
    this._drag = null; // the LiveDrag under way
    this._pasteRepeat = 0;
  }

  get tool() {
    return this.tools[this.toolName];
  }

  /** What a tool call gets: the style, ids, the scene and the selection. */
  toolCtx() {
    return {
      style: this.style, newId: this.newId, scene: this.scene, scale: this.scale,
      // For ops a tool makes later: a stroke's held-back point after a pause (tools/stroke.js).
      apply: (ops) => this.apply(ops),
      isSelected: (id) => this.selection.has(id),
      selectionBox: () => (this.selection.size ? this.renderer.selectionBox() : null),
    };
  }

  send(msg) {
    return this.session.send(msg);
  }

  // ---- sending one change ----------------------------------------------------------

  sendDraw(el, live = false) {
    let msg;
    try {
      msg = drawMsg(el);
    } catch (err) {
      this.ui.notice(`Not drawn: ${err.message}`);
      return false;
    }
    this.scene.localDraw(msg.data, this.send(msg), live);
    return true;
  }

  /** Erases the ids still shown; returns the elements removed. */
  sendErase(ids) {
    const list = ids.filter((id) => this.scene.get(id));
    if (!list.length) return [];
    let sent = true;
    for (const msg of eraseMsgs(list)) sent = this.send(msg) && sent;
    return this.scene.localErase(list, sent);
  }

  /** One `update` per 2,000 ids: {move?, scale?, set?} as on the wire. */
  sendUpdate(ids, change) {
    const list = ids.filter((id) => this.scene.get(id));
    for (const part of chunks(list)) {
      const msg = updateMsg(part, change);
      this.scene.localUpdate(part, change, this.send(msg));
    }
    return list;
  }

  sendOrder(ids, to) {
    // Each message moves its ids past everything: to keep their order, the last part goes
    // to the back first.
    const parts = chunks(ids);
    if (to === 'back') parts.reverse();
    for (const part of parts) {
      this.scene.localOrder(part, to, this.send(orderMsg(part, to)));
    }
  }

  _flushAppends() {
    clearTimeout(this._appendTimer);
    this._appendTimer = null;
    for (const [id, points] of this._appendBuf) {
      if (this.scene.isGone(id)) continue; // removed while drawn: nothing more goes out
      this.scene.markResent('append', id, this.send(appendMsg(id, points)));
    }
    this._appendBuf.clear();
  }

  /** Buffered appends are dropped after a reconnect: the full draw re-sent carries them. */
  dropBufferedAppends() {
    clearTimeout(this._appendTimer);
    this._appendTimer = null;
    this._appendBuf.clear();
  }

  // ---- history -----------------------------------------------------------------------

  /** Records a change as before/after per id, taken around `doIt`. */
  _recorded(label, ids, doIt, extra = {}) {
    const before = new Map(ids.map((id) => [id, this.scene.snapshot(id) ?? null]));
    const result = doIt();
    const after = new Map(ids.map((id) => [id, this.scene.snapshot(id) ?? null]));
    this.history.record({ label, before, after, ...extra }, this.scene);
    this._showHistory();
    return result;
  }

  _showHistory() {
    this.ui.showHistory(this.history.canUndo, this.history.canRedo);
  }

  undo() {
    const had = this.history.canUndo;
    const step = this.history.undo(this.scene);
    if (!step && had) this.ui.notice('Nothing undone: someone else has changed that since.');
    this._play(step);
  }

  redo() {
    const had = this.history.canRedo;
    const step = this.history.redo(this.scene);
    if (!step && had) this.ui.notice('Nothing redone: someone else has changed that since.');
    this._play(step);
  }

  /** Sends what an undo or redo step asks for (its plan comes from history.js). */
  _play(step) {
    if (!step) {
      this._showHistory();
      return;
    }
    if (step.erase.length) this.sendErase(step.erase);
    for (const el of step.draw) this.sendDraw(el);
    for (const u of step.updates) this.sendUpdate(u.ids, u.change);
    for (const o of step.orders) this.sendOrder(o.ids, o.to);
    if (step.skipped) this.ui.notice('Part of that was changed by someone else since, and kept.');
    this.history.after(step, this.scene);
    this._showHistory();
    this._pruneSelection();
    this.renderer.request();
  }

  // ---- tool ops ----------------------------------------------------------------------

  apply(ops) {
    for (const op of ops) {
      switch (op.op) {
        case 'begin':
          this.sendDraw(this.onPage ? this.onPage(op.element) : op.element, true);
          break;
        case 'append': {
          // False when the stroke is gone (removed while drawn): nothing more goes out.
          if (!this.scene.localAppend(op.id, op.points, undefined)) break;
          const buf = this._appendBuf.get(op.id);
          if (buf) buf.push(...op.points);
          else this._appendBuf.set(op.id, [...op.points]);
          if (!this._appendTimer) {
            this._appendTimer = setTimeout(() => this._flushAppends(), APPEND_EVERY_MS);
          }
          break;
        }
        case 'end': {
          this._flushAppends();
          this.scene.endLive(op.id);
          const el = this.scene.snapshot(op.id);
          if (el) this.history.record({ label: 'draw', before: new Map([[op.id, null]]),
            after: new Map([[op.id, el]]) }, this.scene);
          break;
        }
        case 'cancel':
          this._appendBuf.delete(op.id);
          this.scene.endLive(op.id);
          this.sendErase([op.id]);
          break;
        case 'draw': {
          // Issue 15: a new element goes on the current page (onPage, set by the page bar).
          const el = this.onPage ? this.onPage(op.element) : op.element;
          this._recorded('draw', [el.id], () => this.sendDraw(el));
          break;
        }
        case 'erase': {
          const removed = this.sendErase(op.ids);
          const group = this._eraseGroups.get(op.group) || [];
          group.push(...removed);
          this._eraseGroups.set(op.group, group);
          break;
        }
        case 'endErase': {
          const group = this._eraseGroups.get(op.group);
          this._eraseGroups.delete(op.group);
          if (group && group.length) {
            this.history.record({ label: 'erase',
              before: new Map(group.map((el) => [el.id, el])),
              after: new Map(group.map((el) => [el.id, null])) }, this.scene);
          }
          this._pruneSelection();
          break;
        }
        case 'preview':
          this.renderer.markOverlay();
          break;
        case 'edit':
          this.ui.openEditor(op.element, (text) => this._commitNew(op.element, text));
          break;
        case 'editExisting':
          this.editText(op.id);
          break;
        case 'select':
          this.select(op.ids, op.how);
          break;
        case 'marquee':
          this.renderer.markOverlay();
          break;
        case 'drag':
          this._dragStep(op.t);
          break;
        case 'dragEnd':
          this._dragEnd(op.t);
          break;
        case 'dragCancel':
          this._dragCancel();
          break;
        default:
          break;
      }
    }
    this._showHistory();
    this.renderer.request();
  }

  _commitNew(element, text) {
    if (!text.trim()) return;
    this.apply([{ op: 'draw', element: { ...element, text } }]);
  }

  /** Double-click on an element with text: edit it in place; one `update {set: {text}}`. */
  editText(id) {
    const el = this.scene.get(id);
    if (!el || !typeOf(el) || !Object.hasOwn(typeOf(el).fields, 'text')) return false;
    this.select([id], 'replace');
    this.ui.openEditor(el, (text) => {
      const now = this.scene.get(id);
      if (!now || now.text === text) return;
      if (!text.trim() && typeOf(now).fields.text.required !== false && !now.width) {
        this.deleteIds([id]); // an emptied text is gone; an emptied note stays as paper
        return;
      }
      this._recorded('edit', [id], () => this.sendUpdate([id], { set: { text } }),
        { change: { set: { text } } });
    });
    return true;
  }

  // ---- selection ---------------------------------------------------------------------

  /** how: 'replace' | 'add' | 'toggle' | 'remove'. Sends `select` when the set changes. */
  select(ids, how = 'replace') {
    const next = how === 'replace' ? new Set() : new Set(this.selection);
    for (const id of ids) {
      if (!this.scene.get(id)) continue;
      if (how === 'remove' || (how === 'toggle' && next.has(id))) next.delete(id);
      else next.add(id);
    }
    this._setSelection(next);
  }

  selectAll() {
    // Issue 15: what this person may pick, on their page (a student skips locked elements).
    const all = [...this.scene.elements()].filter((el) => this.scene.picks(el));
    this._setSelection(new Set(all.map((el) => el.id)));
  }

  clearSelection() {
    this._setSelection(new Set());
  }

  _setSelection(next) {
    const same = next.size === this.selection.size && [...next].every((id) => this.selection.has(id));
    if (same) return;
    this.selection = next;
    this.send(selectMsg([...next].slice(0, MAX_IDS)));
    this.renderer.setSelection(next);
    this.ui.showSelection([...next]);
  }

  /** After a reconnect: the others dropped our selection when we left; tell them again. */
  resendSelection() {
    if (this.selection.size) this.send(selectMsg([...this.selection].slice(0, MAX_IDS)));
  }

  /** Drops selected ids that are gone (erased here or by someone else). */
  _pruneSelection() {
    if (![...this.selection].some((id) => !this.scene.get(id))) return;
    this._setSelection(new Set([...this.selection].filter((id) => this.scene.get(id))));
  }

  /** Selected ids in board order (the order messages and copies keep). */
  selectedInOrder() {
    const out = [];
    for (const el of this.scene.elements()) if (this.selection.has(el.id)) out.push(el.id);
    return out;
  }

  // ---- dragging the selection (drag.js) ----------------------------------------------

  _dragStep(t) {
    if (!this._drag) {
      if (!this.selection.size) return;
      this._drag = new LiveDrag([...this.selection], (msg) => this.send(msg), this.renderer);
    }
    this._drag.step(t);
  }

  _dragEnd(t) {
    const drag = this._drag;
    this._drag = null;
    if (!drag) return;
    let change = drag.finish(t);
    // Checked here as the server will (a text shrunk under the smallest font is refused),
    // so an ordinary drag never meets a refusal.
    if (change && !this._valid(drag.ids, change)) {
      this.send(transformMsg({}));
      this.ui.notice('Not changed: that would make something too small or too large.');
      change = null;
    }
    if (change) {
      this._recorded(change.scale ? 'resize' : 'move', drag.ids,
        () => this.sendUpdate(drag.ids, change), { change });
    }
    this.renderer.setDrag(null, null);
  }

  /** Whether every element stays valid after the change. */
  _valid(ids, change) {
    for (const id of ids) {
      const el = this.scene.get(id);
      if (!el || !typeOf(el)) continue;
      try {
        if (checkElement(applyUpdate(el, change))) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  _dragCancel() {
    const drag = this._drag;
    this._drag = null;
    if (drag) drag.cancel();
  }

  // ---- tools -------------------------------------------------------------------------

  setTool(name) {
    if (!this.tools[name]) return false;
    const current = this.tool;
    if (current.active) this.apply(current.cancel(this.toolCtx()));
    this.toolName = name;
    this.renderer.setTool(this.tool);
    if (name !== 'select') this.clearSelection();
    return true;
  }

  /** After each frame of server messages: a stroke of ours that someone removed ends here. */
  afterChanges() {
    // The scene ends it and says why (takeNotices, shown by the session); the tool forgets it.
    const tool = this.tool;
    const id = tool.strokeId;
    if (id && this.scene.isGone(id)) {
      tool.abandon();
      this._appendBuf.delete(id);
    }
    if (this._drag) this._drag.keep((gid) => this.scene.get(gid) !== undefined);
    this._pruneSelection();
    this._showHistory(); // a clear by anyone empties history (canUndo looks at scene.epoch)
  }

  /** A clear, restore or import starts a fresh page: nothing from before comes back by undo. */
  boardReplaced() {
    this.history.clear();
    this._showHistory();
  }
}

Object.assign(Controller.prototype, selectionActions);

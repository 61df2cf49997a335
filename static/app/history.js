// Undo and redo of this client's own actions, safe when others change the board too. Pure
// module: no socket; undo() and redo() say what to send, and the caller applies and sends it.
//
// An action is recorded as the state of each element it touched before and after it
// ({label, before: Map id -> element|null, after: Map id -> element|null}), plus the compact
// change when it has one (`change`: an update's {move?, scale?, set?}; `order`: {ids, to,
// others}, others being what lay above (front) or below (back) those ids before).
//
// The rules:
// - Undo only touches elements still as this action left them. One that someone else changed
//   or removed since is left alone; when none is left, the step is skipped and undo goes on to
//   the one before it. Redo works the same way against what the undo left.
// - A move or resize is undone by its inverse, one `update` for all its elements however many
//   there are; a restyle by setting the old values back, one `update` per distinct old style.
// - A clear (every restore and import begins with one) starts a fresh page: the scene's
//   `epoch` moves on, and history from before it is dropped, for everyone, so nothing a clear
//   removed can come back through undo.

import { fieldSpec, typeOf } from './elements/index.js';
import { sameElement } from './scene/compare.js';

/** Numbers this close (relative) are the same: an undone move can differ in the last bit. */
const TOLERANCE = 1e-9;
/** Field kinds that a move or scale changes. */
const GEOMETRY = new Set(['x', 'y', 'w', 'h', 'points', 'font']);

function toMap(states) {
  if (states instanceof Map) return new Map(states);
  if (Array.isArray(states)) return new Map(states);
  return new Map(Object.entries(states || {}));
}

function asIs(now, want) {
  return want === null ? now === undefined || now === null : sameElement(now, want, TOLERANCE);
}

/** The inverse of an update's move and scale: scale about the moved origin, then move back. */
export function inverseTransform(change) {
  const out = {};
  const [dx, dy] = change.move || [0, 0];
  if (change.scale) {
    const [sx, sy, ox, oy] = change.scale;
    out.scale = [1 / sx, 1 / sy, ox + dx, oy + dy];
  }
  if (change.move) out.move = [-dx, -dy];
  return out;
}

function sameValue(a, b) {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The `set` that turns `now` into `want` over `keys` (or every field of the type). */
export function setBetween(now, want, keys) {
  const def = typeOf(want);
  if (!def) return null;
  const set = {};
  for (const k of keys || Object.keys(def.fields)) {
    if (!Object.hasOwn(def.fields, k)) continue;
    if (!sameValue(now[k], want[k])) set[k] = want[k] === undefined ? null : want[k];
  }
  return Object.keys(set).length ? set : null;
}

/** Groups elements that need the same `set` into one update each. */
function setUpdates(kept, keys) {
  const groups = new Map();
  for (const [id, now, want] of kept) {
    const set = setBetween(now, want, keys);
    if (!set) continue;
    const key = JSON.stringify(set);
    const g = groups.get(key) || { ids: [], change: { set } };
    g.ids.push(id);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** True when a `set` names a coordinate, size, points or font size (a field a move changes). */
function touchesGeometry(set) {
  return Object.keys(set || {}).some((k) => GEOMETRY.has(fieldSpec(k)?.kind));
}

export class History {
  /**
   * @param {number} limit how many actions are kept
   * @param {object} board the scene (get(id), epoch); may also be passed to each call
   */
  constructor(limit = 200, board = null) {
    this.limit = limit;
    this.board = board;
    this.epoch = board ? board.epoch : undefined;
    this.done = [];
    this.undone = [];
  }

  /** A clear since the last look drops everything recorded before it. */
  _fresh(board) {
    if (board) this.board = board;
    const b = this.board;
    if (!b || b.epoch === undefined) return;
    if (this.epoch !== b.epoch) {
      this.done = [];
      this.undone = [];
      this.epoch = b.epoch;
    }
  }

  /** Records one local action (see the top of this file). */
  record(action, board) {
    this._fresh(board);
    const step = {
      label: action.label || action.kind || 'change',
      before: toMap(action.before),
      after: toMap(action.after),
      change: action.change || null,
      order: action.order || null,
    };
    if (!step.before.size && !step.after.size) return;
    // A stroke still growing would grow inside what is kept here: take it as it is now.
    const b = this.board;
    if (b && b.snapshot && b.isLive) {
      for (const id of step.after.keys()) if (b.isLive(id)) b.snapshot(id);
    }
    this.done.push(step);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  /** The older form: {kind: 'draw', element} or {kind: 'erase', elements}. */
  push(action) {
    if (action.kind === 'draw') {
      this.record({ label: 'draw', before: [[action.element.id, null]],
        after: [[action.element.id, action.element]] });
    } else if (action.kind === 'erase') {
      this.record({ label: 'erase', before: action.elements.map((e) => [e.id, e]),
        after: action.elements.map((e) => [e.id, null]) });
    } else {
      this.record(action);
    }
  }

  get canUndo() {
    this._fresh();
    return this.done.length > 0;
  }

  get canRedo() {
    this._fresh();
    return this.undone.length > 0;
  }

  /**
   * What undoes the latest action still possible, or null. The step returned carries the
   * plan: {erase: ids, draw: elements, updates: [{ids, change}], orders: [{ids, to}]}, plus
   * `before`/`after` (only the ids it covers), `change`, `order` and `skipped` (true when some
   * elements were left alone because someone else changed them). Apply and send the plan,
   * then call after(step) so redo knows what the undo left.
   */
  undo(board) {
    return this._step(board, this.done, this.undone, 'undo');
  }

  /** What does the latest undone action again, or null; as undo(). */
  redo(board) {
    return this._step(board, this.undone, this.done, 'redo');
  }

  _step(board, from, to, direction) {
    this._fresh(board);
    const b = this.board;
    while (from.length) {
      const step = from.pop();
      // Undo expects what the action left; redo what the undo left (or the state before).
      const expect = direction === 'undo' ? step.after : step.left || step.before;
      // Without a board to look at, the elements are taken to be as the action left them.
      const shown = (id) => (b ? b.get(id) : expect.get(id) ?? undefined);
      const target = direction === 'undo' ? step.before : step.after;
      const ids = [...expect.keys()].filter((id) => !b || asIs(shown(id), expect.get(id)));
      if (!ids.length) continue; // someone else changed all of it: skip to the one before
      const out = {
        label: step.label, direction,
        before: new Map(ids.map((id) => [id, step.before.get(id) ?? null])),
        after: new Map(ids.map((id) => [id, step.after.get(id) ?? null])),
        change: step.change, order: step.order, skipped: ids.length < expect.size,
        ...this._plan(step, ids, target, direction, shown),
      };
      out.source = step;
      to.push(step);
      return out;
    }
    return null;
  }

  _plan(step, ids, target, direction, shown) {
    const plan = { erase: [], draw: [], updates: [], orders: [] };
    const kept = [];
    for (const id of ids) {
      const want = target.get(id) ?? null;
      const now = shown(id);
      if (!want) {
        if (now) plan.erase.push(id);
      } else if (!now) {
        plan.draw.push(want);
      } else {
        kept.push([id, now, want]);
      }
    }
    if (step.order) {
      const { ids: moved, to, others } = step.order;
      const alive = new Set(ids);
      if (direction === 'redo') {
        const again = moved.filter((id) => alive.has(id));
        if (again.length) plan.orders.push({ ids: again, to });
      } else if (others && others.length) {
        plan.orders.push({ ids: others, to });
      }
      return plan;
    }
    if (!kept.length) return plan;
    const change = step.change;
    const keptIds = kept.map(([id]) => id);
    if (change && (change.move || change.scale) && !touchesGeometry(change.set)) {
      // One message for every element, however many: the same change, or its inverse.
      const t = direction === 'redo' ? { move: change.move, scale: change.scale }
        : inverseTransform(change);
      if (!t.move) delete t.move;
      if (!t.scale) delete t.scale;
      plan.updates.push({ ids: keptIds, change: t });
      if (change.set) {
        plan.updates.push(...(direction === 'redo' ? [{ ids: keptIds, change: { set: change.set } }]
          : setUpdates(kept, Object.keys(change.set))));
      }
    } else if (change && change.set && !change.move && !change.scale && direction === 'redo') {
      plan.updates.push({ ids: keptIds, change: { set: change.set } });
    } else {
      plan.updates.push(...setUpdates(kept, change && change.set && !touchesGeometry(change.set)
        ? Object.keys(change.set) : undefined));
    }
    return plan;
  }

  /** After a step's plan was applied: what it left is what the next redo (or undo) expects. */
  after(step, board) {
    const b = board || this.board;
    const source = step && step.source;
    if (!source || !b) return;
    // Only the ids this step covered: one someone else had changed was not touched, and the
    // next step must leave it alone too.
    const left = new Map();
    for (const id of step.before.keys()) {
      const now = b.get(id);
      left.set(id, now === undefined ? null : now);
    }
    if (step.direction === 'undo') source.left = left;
    else source.after = left;
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

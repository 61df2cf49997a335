// What an undo or redo step sends. Pure module.
//
// A step is what history.js hands back: {before, after} (id -> element or null, only the ids
// nobody else has changed since), and for an update its wire `change`, for an order its
// `order` {ids, to, others}. The plan keeps every element's creator: a moved or restyled
// element is changed back with `update`, never re-drawn (a draw would make us its author).
// Only an element that is gone is drawn again.

import { typeOf } from './elements/index.js';

function same(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The `set` that turns `now` into `target`: each differing field (null: remove it). */
export function setBetween(now, target) {
  const def = typeOf(target);
  if (!def) return null;
  const set = {};
  for (const k of Object.keys(def.fields)) {
    if (!same(now[k], target[k])) set[k] = target[k] === undefined ? null : target[k];
  }
  return Object.keys(set).length ? set : null;
}

function inverseMove(change) {
  if (!change || !change.move || change.scale || change.set) return null;
  return { move: [-change.move[0], -change.move[1]] };
}

/**
 * @param {object} step from history.undo() or history.redo()
 * @param {'undo'|'redo'} direction
 * @param {(id: string) => object|undefined} shown the element as displayed now
 * @returns {{erase: string[], draw: object[], updates: {ids, change}[], orders: {ids, to}[]}}
 */
export function undoPlan(step, direction, shown) {
  const plan = { erase: [], draw: [], updates: [], orders: [] };
  const target = direction === 'undo' ? step.before : step.after;
  const kept = [];
  for (const [id, want] of target) {
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
    const { ids, to, others } = step.order;
    if (direction === 'redo') plan.orders.push({ ids, to });
    else if (others.length) plan.orders.push({ ids: others, to });
    return plan;
  }
  if (!kept.length) return plan;
  // The same change again (redo) or a plain move back (undo) is one message for all.
  const whole = direction === 'redo' ? step.change : inverseMove(step.change);
  if (whole) {
    plan.updates.push({ ids: kept.map(([id]) => id), change: whole });
    return plan;
  }
  // Anything else goes back field by field; elements needing the same `set` share a message.
  const groups = new Map();
  for (const [id, now, want] of kept) {
    const set = setBetween(now, want);
    if (!set) continue;
    const key = JSON.stringify(set);
    const g = groups.get(key) || { ids: [], change: { set } };
    g.ids.push(id);
    groups.set(key, g);
  }
  plan.updates.push(...groups.values());
  return plan;
}

/**
 * Undo and redo of this page's own actions, safe in a crowd (the page's adapter over the
 * scene's bookkeeping: scene.lastChange(id) and scene.epoch). An action is {label, before,
 * after, change?, order?} as the controller records it.
 * - A step skips every element someone else changed or removed after our action.
 * - Any clear (ours or anyone's; a restore and an import start with one) empties both stacks.
 */
export class UndoHistory {
  constructor(limit = 200) {
    this.limit = limit;
    this.done = [];
    this.undone = [];
    this.epoch = null;
  }

  /** Empties both stacks if the board was cleared since the last call. */
  sync(scene) {
    this._sync(scene);
  }

  _sync(scene) {
    if (this.epoch !== scene.epoch) {
      this.done = [];
      this.undone = [];
      this.epoch = scene.epoch;
    }
  }

  record(action, scene) {
    this._sync(scene);
    this.done.push({ ...action, seq: scene.seq });
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  /** The ids of an action nobody else has touched since `seq`; the rest is skipped. */
  _untouched(action, scene, expect) {
    const keep = [];
    for (const [id, want] of expect) {
      const last = scene.lastChange(id);
      const shown = scene.get(id);
      const byOther = last && last.userId !== scene.userId && last.seq > action.seq;
      // Expected on the board but gone: someone removed it (ours would have been recorded).
      const removed = want && !shown;
      if (!byOther && !removed) keep.push(id);
    }
    return keep;
  }

  _step(action, scene, expect) {
    const keep = new Set(this._untouched(action, scene, expect));
    const pick = (m) => new Map([...m].filter(([id]) => keep.has(id)));
    return { ...action, before: pick(action.before), after: pick(action.after),
      skipped: keep.size < expect.size };
  }

  /** The latest action, less what others changed since: for undoPlan(step, 'undo'). */
  undo(scene) {
    this._sync(scene);
    const action = this.done.pop();
    if (!action) return null;
    const step = this._step(action, scene, action.after);
    this.undone.push({ ...action, seq: scene.seq });
    return step;
  }

  redo(scene) {
    this._sync(scene);
    const action = this.undone.pop();
    if (!action) return null;
    const step = this._step(action, scene, action.before);
    this.done.push({ ...action, seq: scene.seq });
    return step;
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

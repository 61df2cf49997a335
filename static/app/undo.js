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

// Undo and redo of this client's own actions. Pure module.
//
// An action is {kind: 'draw', element} or {kind: 'erase', elements}. Undo turns it into the
// opposite change: undoing a draw erases that one element (always our own id), undoing an erase
// draws the same elements again with their ids. Nothing here can remove another person's work
// that we did not add or remove ourselves.

export class History {
  constructor(limit = 200) {
    this.limit = limit;
    this.done = [];
    this.undone = [];
  }

  push(action) {
    this.done.push(action);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  /** The change that undoes the latest action: {erase: ids} or {draw: elements}, or null. */
  undo() {
    const action = this.done.pop();
    if (!action) return null;
    this.undone.push(action);
    return action.kind === 'draw' ? { erase: [action.element.id] } : { draw: action.elements };
  }

  /** The change that does the latest undone action again, or null. */
  redo() {
    const action = this.undone.pop();
    if (!action) return null;
    this.done.push(action);
    return action.kind === 'draw' ? { draw: [action.element] }
      : { erase: action.elements.map((e) => e.id) };
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

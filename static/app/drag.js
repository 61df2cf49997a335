// A live drag of the selection: each step shows the transform on this page at once (the
// renderer paints the elements moved on its overlay) and sends it to the others as a
// `transform` preview, at most one per TRANSFORM_EVERY_MS (the latest step wins). The drag
// ends in the `update` the controller sends, or in `transform {}` when nothing moved.

import { transformMsg } from './protocol.js';
import { Throttle } from './throttle.js';

/** Live drag previews go out at most this often (about 30 per second). */
export const TRANSFORM_EVERY_MS = 33;

/** The `update` change for a drag's transform: {scale?, move?}, or null when it is none. */
export function changeOf(t) {
  const change = {};
  if ((t.sx ?? 1) !== 1 || (t.sy ?? 1) !== 1) {
    change.scale = [t.sx ?? 1, t.sy ?? 1, t.ox ?? 0, t.oy ?? 0];
  }
  if (t.dx || t.dy) change.move = [t.dx || 0, t.dy || 0];
  return change.scale || change.move ? change : null;
}

export class LiveDrag {
  /**
   * @param {string[]} ids what is dragged (the selection when the drag began)
   * @param {(msg: object) => boolean} send
   * @param {object} renderer
   */
  constructor(ids, send, renderer) {
    this.ids = ids;
    this.send = send;
    this.renderer = renderer;
    this.t = null;
    this.preview = new Throttle(TRANSFORM_EVERY_MS, (t) => this.send(transformMsg(t)));
  }

  step(t) {
    this.t = t;
    this.renderer.setDrag(this.ids, t);
    this.preview.push(t);
  }

  /** Ids removed meanwhile (by anyone) leave the drag. */
  keep(alive) {
    this.ids = this.ids.filter(alive);
  }

  /**
   * Ends the drag at `t`; returns the `update` change to send (the update ends the others'
   * preview: the server sends it in place of any transform still waiting), or null when
   * nothing moved (the preview is ended with `transform {}`).
   */
  finish(t) {
    this.preview.cancel();
    const change = changeOf(t);
    if (!change) this.send(transformMsg({}));
    return change;
  }

  /** Given up (Escape, a lost pointer): the others' preview ends, nothing changes. */
  cancel() {
    this.preview.cancel();
    this.send(transformMsg({}));
    this.renderer.setDrag(null, null);
  }
}

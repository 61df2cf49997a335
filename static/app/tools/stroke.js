// Freehand strokes (the pen and the highlighter): a stroke starts as a `draw` with its first
// point and grows by `append`. Points are quantized to what the drawing zoom shows and
// simplified as they come (simplify.js): a sample is held back only until the next one shows
// whether the stroke needs it, and never longer than about a frame, so peers see the stroke
// grow as live as before and the stored stroke is already compact, with no message at the
// end. Pressure is kept only where a real pen reports it and the stroke type wants it.

import { LIMITS } from '../protocol.js';
import {
  decimalsFor, OnlineSimplifier, quantize, quantizePressure, TOLERANCE_PX,
} from '../simplify.js';

/** A held-back sample goes out once it waited this long (about one frame at 60 Hz). */
const HOLD_MS = 17;
/** Samples closer than this many screen pixels to the last one add bytes, not shape. */
const MIN_STEP_PX = 1.5;
/** A pressure change this large keeps the point, however straight the stroke. */
const PRESSURE_STEP = 0.05;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * @param {string} name the tool's name
 * @param {string} elementType the element type it draws (one with `points`)
 * @param {(style: object) => {strokeColor: string, strokeWidth: number}} look the stroke's
 *   color and width from the toolbar style
 * @param {boolean} pressure whether a pen's pressure is recorded
 */
export function strokeTool(name, elementType, look, pressure = true) {
  let stroke = null;

  // Inside the coordinate range the server accepts, as protocol.js coord() keeps them.
  const clamp = (v) => Math.max(-LIMITS.MAX_COORD, Math.min(LIMITS.MAX_COORD, v));

  function sample(pt) {
    const p = [quantize(clamp(pt.x), stroke.decimals), quantize(clamp(pt.y), stroke.decimals)];
    if (stroke.pressure) p.push(quantizePressure(pt.pressure));
    return p;
  }

  /** The points to send for sample p (none while it may still be dropped). */
  function take(p, at) {
    const s = stroke;
    const out = [];
    // Past a frame, or past a pressure change, the held sample goes out as it is.
    if (s.simplifier.holding && (at - s.heldSince > HOLD_MS ||
        (s.pressure && Math.abs(p[2] - s.simplifier.anchor[2]) > PRESSURE_STEP))) {
      out.push(...s.simplifier.flush());
    }
    const wasHolding = s.simplifier.holding;
    out.push(...s.simplifier.push(p));
    if (!wasHolding || out.length) s.heldSince = at;
    return out;
  }

  function appendOps(points) {
    const room = LIMITS.MAX_PATH_POINTS - stroke.count;
    const list = points.slice(0, Math.max(0, room));
    if (!list.length) return [];
    stroke.count += list.length;
    return [{ op: 'append', id: stroke.id, points: list }];
  }

  /** After a frame without samples, the held one goes out (a pause must not hide the tip). */
  function arm(ctx) {
    if (!stroke || typeof ctx.apply !== 'function') return;
    clearTimeout(stroke.timer);
    const mine = stroke;
    mine.timer = setTimeout(() => {
      if (stroke !== mine || !mine.simplifier.holding) return;
      ctx.apply(appendOps(mine.simplifier.flush()));
    }, HOLD_MS + 3);
  }

  function finish() {
    if (stroke) clearTimeout(stroke.timer);
    stroke = null;
  }

  return {
    name,
    preview: null,
    get active() {
      return stroke !== null;
    },
    /** The id of the stroke being drawn, or null. */
    get strokeId() {
      return stroke ? stroke.id : null;
    },
    down(ctx, pt) {
      finish();
      const scale = ctx.scale || 1;
      stroke = {
        id: ctx.newId(), pressure: pressure && pt.pointerType === 'pen' && pt.pressure > 0,
        decimals: decimalsFor(scale), scale, count: 1, timer: null, heldSince: 0,
        last: [pt.x, pt.y], simplifier: null,
      };
      const first = sample(pt);
      stroke.simplifier = new OnlineSimplifier(first, TOLERANCE_PX / scale);
      const element = { id: stroke.id, elementType, points: [first], ...look(ctx.style) };
      return [{ op: 'begin', element }];
    },
    move(ctx, pt) {
      if (!stroke || stroke.count >= LIMITS.MAX_PATH_POINTS - 1) return [];
      if (Math.hypot(pt.x - stroke.last[0], pt.y - stroke.last[1]) < MIN_STEP_PX / stroke.scale) {
        return [];
      }
      stroke.last = [pt.x, pt.y];
      const ops = appendOps(take(sample(pt), ctx.now ? ctx.now() : now()));
      if (stroke.simplifier.holding) arm(ctx);
      return ops;
    },
    up(ctx, pt) {
      if (!stroke) return [];
      const points = [];
      if (pt && Math.hypot(pt.x - stroke.last[0], pt.y - stroke.last[1]) >= 0.5 / stroke.scale) {
        const p = sample(pt);
        // A pen lifting reports pressure 0: the end keeps the pressure it had.
        if (stroke.pressure) p[2] = stroke.simplifier.held ? stroke.simplifier.held[2]
          : stroke.simplifier.anchor[2];
        points.push(...stroke.simplifier.push(p));
      }
      points.push(...stroke.simplifier.flush());
      const ops = appendOps(points);
      ops.push({ op: 'end', id: stroke.id });
      finish();
      return ops;
    },
    cancel() {
      if (!stroke) return [];
      const id = stroke.id;
      finish();
      return [{ op: 'cancel', id }];
    },
    /** The stroke was removed by someone else: forget it without sending anything more. */
    abandon() {
      finish();
    },
  };
}

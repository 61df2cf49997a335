// Elements and a synced scene for the scene and history tests (not a test file itself: the
// runner takes *.test.mjs).
import { Scene } from '../../static/app/scene.js';

export const rect = (id, userId = 'me', x = 0) => ({ id, elementType: 'rect', x, y: 0,
  width: 10, height: 10, strokeColor: '#000000', strokeWidth: 2, userId });
export const path = (id, points, userId = 'me') => ({ id, elementType: 'path', points,
  strokeColor: '#000000', strokeWidth: 2, userId });
export const ids = (scene) => [...scene.elements()].map((e) => e.id);

/** A scene that has had its sync: user `me`, these elements, at this seq. */
export function synced(elements = [], seq = 0) {
  const s = new Scene();
  s.applySync({ elements, seq, userId: 'me', color: '#e6194b', users: [] });
  return s;
}

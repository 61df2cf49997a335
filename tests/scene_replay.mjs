// The board a connected page holds after each change: the page's own Scene
// (static/app/scene.js) fed a recorded socket session. Used by tests/test_timeline_server.py.
// Reads {sync, changes} as JSON on stdin; writes [{seq, elements}] after the sync and after
// each change.
import { readFileSync } from 'node:fs';

import { Scene } from '../static/app/scene.js';

const { sync, changes } = JSON.parse(readFileSync(0, 'utf8'));
const scene = new Scene();
scene.applySync(sync);
// Copied as they are at that moment: the scene extends a stroke's points in place.
const board = () => ({ seq: scene.seq, elements: JSON.parse(JSON.stringify([...scene.elements()])) });
const boards = [board()];
for (const msg of changes) {
  scene.applyChange(msg);
  boards.push(board());
}
process.stdout.write(JSON.stringify(boards));

// Issue 20: the pure rules behind navigation and joining. The wheel pans and Ctrl+wheel
// zooms; a second finger keeps the first finger's gesture only once it is a real stroke; a
// `view=` address is three numbers in range; the join fit; board names, ids and suggestions.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { boardSlug, cleanBoardName, findBoard, freeId, suggest } from '../../static/app/boards.js';
import { REAL_STROKE_PX, realStroke, wheelGesture } from '../../static/app/input.js';
import { parseViewParam, View } from '../../static/app/view.js';

test('the wheel and a trackpad scroll pan both ways; Ctrl or Cmd zooms about the pointer', () => {
  assert.deepEqual(wheelGesture({ deltaX: 0, deltaY: 100, deltaMode: 0 }), { pan: [-0, -100] });
  assert.deepEqual(wheelGesture({ deltaX: 30, deltaY: -20, deltaMode: 0 }), { pan: [-30, 20] });
  assert.deepEqual(wheelGesture({ deltaX: 0, deltaY: 3, deltaMode: 1 }), { pan: [-0, -48] });
  assert.deepEqual(wheelGesture({ deltaX: 0, deltaY: 1, deltaMode: 2 }, 700), { pan: [-0, -700] });
  // Shift turns a plain vertical wheel sideways.
  assert.deepEqual(wheelGesture({ deltaX: 0, deltaY: 50, shiftKey: true }), { pan: [-50, -0] });
  const zoom = wheelGesture({ deltaY: -10, ctrlKey: true, clientX: 5, clientY: 6 });
  assert.equal(zoom.x, 5);
  assert.equal(zoom.y, 6);
  assert.ok(zoom.zoom > 1 && zoom.zoom < 1.2); // a pinch step: gentle
  assert.ok(wheelGesture({ deltaY: 100, metaKey: true }).zoom < 1);
  // One huge wheel event cannot zoom more than 2x at once.
  assert.equal(wheelGesture({ deltaY: -10000, ctrlKey: true }).zoom, 2);
});

test('a second finger keeps the first only once it drew a real stroke, whatever the time', () => {
  assert.equal(realStroke(0), false);
  assert.equal(realStroke(REAL_STROKE_PX - 1), false);
  assert.equal(realStroke(REAL_STROKE_PX), true);
});

test('view=X,Y,ZOOM takes three numbers in range and nothing else', () => {
  assert.deepEqual(parseViewParam('0,0,1'), { x: 0, y: 0, zoom: 1 });
  assert.deepEqual(parseViewParam('-120.5, 300,0.25'), { x: -120.5, y: 300, zoom: 0.25 });
  assert.deepEqual(parseViewParam('1e3,2,3'), { x: 1000, y: 2, zoom: 3 });
  for (const bad of [null, '', '1,2', '1,2,3,4', 'a,b,c', 'NaN,0,1', 'Infinity,0,1', '0,0,0',
    '0,0,-1', '0,0,1e9', '2e6,0,1', '0x10,0,1', '1,,1', ' , , ', '0,0,1'.repeat(40)]) {
    assert.equal(parseViewParam(bad), null, String(bad));
  }
});

test('place puts the world point at the top-left; fit shows a box whole, at most 100 %', () => {
  const v = new View();
  v.place(300, 150, 2);
  assert.deepEqual(v.toWorld(0, 0), [300, 150]);
  v.fit({ x0: 100, y0: 100, x1: 2100, y1: 1300 }, 1280, 800, 40);
  assert.ok(v.scale < 1);
  assert.ok(v.shows({ x0: 100, y0: 100, x1: 2100, y1: 1300 }, 1280, 800, 39.999));
  v.fit({ x0: 0, y0: 0, x1: 10, y1: 10 }, 1280, 800, 40);
  assert.equal(v.scale, 1); // a small drawing is not blown up
  assert.deepEqual(v.toScreen(5, 5), [640, 400]); // centered
});

test('a display name is cleaned like a userId, and the id it makes is a slug', () => {
  assert.equal(cleanBoardName('  Math 7B – Fractions\u202e '), 'Math 7B – Fractions');
  assert.equal(cleanBoardName('a\u200bb\n\tc'), 'ab c');
  assert.equal(cleanBoardName('x'.repeat(200)).length, 80);
  assert.equal(boardSlug('Math 7B – Fractions'), 'Math-7B-Fractions');
  assert.equal(boardSlug('Élève: été!'), 'Eleve-ete');
  assert.equal(boardSlug('–––'), '');
  assert.ok(boardSlug('a b '.repeat(40)).length <= 64);
  assert.equal(freeId('x', new Set(['x', 'x-2'])), 'x-3');
  assert.equal(freeId('y', new Set(['x'])), 'y');
});

test('a typed code finds its board by id, by name in any case, or by the id its name makes', () => {
  const rooms = [{ id: 'Math-7B-Fractions', name: 'Math 7B – Fractions' }, { id: 'art', name: '' },
    { id: 'blue-otter-42', name: '' }];
  assert.equal(findBoard(rooms, 'art').id, 'art');
  assert.equal(findBoard(rooms, 'ART').id, 'art');
  assert.equal(findBoard(rooms, 'math 7b – fractions').id, 'Math-7B-Fractions');
  assert.equal(findBoard(rooms, 'Math 7B Fractions').id, 'Math-7B-Fractions');
  assert.equal(findBoard(rooms, 'blue-otter-24'), null); // a typo is not a board
  assert.equal(findBoard(rooms, ''), null);
  assert.deepEqual(suggest(rooms, 'ott').map((r) => r.id), ['blue-otter-42']);
  assert.deepEqual(suggest(rooms, 'a').map((r) => r.id), ['art', 'Math-7B-Fractions']);
  assert.deepEqual(suggest(rooms, 'frac').map((r) => r.id), ['Math-7B-Fractions']);
  assert.deepEqual(suggest(rooms, ''), []);
});

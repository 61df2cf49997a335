// The page's downloads and clipboard: the PNG is fitted to the drawing's bounds (from the
// element registry), and the clipboard payload round-trips and refuses what is not ours. The
// SVG file is the server's (/api/rooms/{id}/export?format=svg), tested in tests/test_svg_export.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodePayload, encodePayload } from '../../static/app/clipboard.js';
import { bounds } from '../../static/app/elements/index.js';
import { unionBounds } from '../../static/app/export.js';

const base = { strokeColor: '#e03131', strokeWidth: 4 };

test('the PNG is fitted to the union of every element\'s bounds', () => {
  const els = [
    { ...base, id: 'p', elementType: 'path', points: [[100, 100], [150, 120], [200, 100]] },
    { ...base, id: 'r', elementType: 'rect', x: 300, y: 50, width: 40, height: 300 },
    { ...base, id: 'x', elementType: 'mystery' },
  ];
  const b = unionBounds(els);
  const p = bounds(els[0]);
  const r = bounds(els[1]);
  assert.deepEqual(b, { x0: p.x0, y0: r.y0, x1: r.x1, y1: r.y1 });
  assert.equal(unionBounds([els[2]]), null);
  assert.equal(unionBounds([]), null);
});

test('a clipboard payload round-trips and nothing else is taken for one', () => {
  const els = [{ ...base, id: 'a', elementType: 'line', x1: 0, y1: 0, x2: 5, y2: 5 }];
  assert.deepEqual(decodePayload(encodePayload(els)), els);
  assert.equal(decodePayload('hello'), null);
  assert.equal(decodePayload('{"elements": []}'), null); // not marked as ours
  assert.equal(decodePayload('{not json'), null);
  assert.equal(decodePayload(''), null);
  assert.equal(decodePayload(JSON.stringify({ 'lanboard-elements': 1, elements: 'x' })), null);
});

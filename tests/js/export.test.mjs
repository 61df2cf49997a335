// Geometry and the SVG export: bounds, hit tests, and well-formed, escaped, fitted SVG.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bounds, hitTest, unionBounds } from '../../static/app/geometry.js';
import { boardSvg, elementSvg } from '../../static/app/svg.js';

const base = { strokeColor: '#e03131', strokeWidth: 4 };

test('bounds include half the stroke width and normalize negative sizes', () => {
  const b = bounds({ ...base, id: 'r', elementType: 'rect', x: 10, y: 10, width: -10, height: 20 });
  assert.deepEqual(b, { minX: -3, minY: 7, maxX: 13, maxY: 33 });
  assert.equal(bounds({ ...base, id: 'u', elementType: 'mystery' }), null);
});

test('hit tests follow the ink, not the box', () => {
  const r = { ...base, id: 'r', elementType: 'rect', x: 0, y: 0, width: 100, height: 100 };
  assert.equal(hitTest(r, 50, 1, 2), true);
  assert.equal(hitTest(r, 50, 50, 2), false);
  assert.equal(hitTest({ ...r, fillColor: '#fff' }, 50, 50, 2), true);
  const e = { ...base, id: 'e', elementType: 'ellipse', x: 0, y: 0, width: 100, height: 50 };
  assert.equal(hitTest(e, 100, 25, 2), true);
  assert.equal(hitTest(e, 50, 25, 2), false);
  const p = { ...base, id: 'p', elementType: 'path', points: [[0, 0], [100, 0]] };
  assert.equal(hitTest(p, 50, 3, 2), true);
  assert.equal(hitTest(p, 50, 30, 2), false);
  const l = { ...base, id: 'l', elementType: 'line', x1: 0, y1: 0, x2: 10, y2: 10 };
  assert.equal(hitTest(l, 5, 5, 1), true);
});

test('SVG export is fitted to the drawing and escapes text', () => {
  const els = [
    { ...base, id: 'p', elementType: 'path', points: [[100, 100], [150, 120], [200, 100]] },
    { ...base, id: 't', elementType: 'text', x: 100, y: 200, text: '<b>&"hi"</b>\nline 2',
      fontSize: 20 },
    { ...base, id: 'a', elementType: 'arrow', x1: 100, y1: 300, x2: 300, y2: 300 },
    { ...base, id: 'x', elementType: 'unknown' },
  ];
  const svg = boardSvg(els, 20);
  assert.match(svg, /^<\?xml/);
  assert.ok(svg.includes('&lt;b&gt;&amp;&quot;hi&quot;&lt;/b&gt;'));
  assert.ok(!svg.includes('<b>'));
  assert.equal((svg.match(/<tspan/g) || []).length, 2);
  const b = unionBounds(els);
  const vb = svg.match(/viewBox="([^"]+)"/)[1].split(' ').map(Number);
  assert.deepEqual(vb.slice(0, 2), [b.minX - 20, b.minY - 20]);
  assert.equal(elementSvg(els[3]), '');
});

test('pressure paths export one segment per width', () => {
  const svg = elementSvg({ ...base, id: 'p', elementType: 'path',
    points: [[0, 0, 0.1], [10, 0, 0.9], [20, 0, 0.5]] });
  assert.equal((svg.match(/<path/g) || []).length, 2);
});

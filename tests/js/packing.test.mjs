// Packed sync elements (static/app/packing.js): the page rebuilds exactly the points the
// server packed (lanboard/packing.py), keeps key order, passes unpacked elements through and
// leaves malformed packed ones out. The Python side (tests/test_packing.py) runs this file's
// unpacker on the server's own output too.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  unpackElement, unpackElements, unpackPoints, withPack,
} from '../../static/app/packing.js';

test('deltas in tenths and hundredths come back as the decimals they stand for', () => {
  assert.deepEqual(unpackPoints([7900, 4000, -3, 95, 1, -1], undefined),
    [[790, 400], [789.7, 409.5], [789.8, 409.4]]);
  assert.deepEqual(unpackPoints([1, 2, 1, 1], [50, 3]), [[0.1, 0.2, 0.5], [0.2, 0.3, 0.53]]);
  // 0.1 + 0.2 summed as decimals would be 0.30000000000000004; as tenths it is 0.3.
  assert.equal(unpackPoints([1, 0, 2, 0], undefined)[1][0], 0.3);
});

test('a packed element gets its points back in place; others pass through', () => {
  const el = { id: 'a', elementType: 'path', pk: [10, 20, 5, -5], strokeColor: '#000' };
  const out = unpackElement(el);
  assert.deepEqual(Object.keys(out), ['id', 'elementType', 'points', 'strokeColor']);
  assert.deepEqual(out.points, [[1, 2], [1.5, 1.5]]);
  const withP = unpackElement({ id: 'b', pk: [0, 0], pp: [25] });
  assert.deepEqual(withP, { id: 'b', points: [[0, 0, 0.25]] });
  const plain = { id: 'c', elementType: 'path', points: [[1.23456, 2]] };
  assert.equal(unpackElement(plain), plain);
});

test('malformed packed elements are left out of a sync', () => {
  const bad = [
    { id: 'odd', pk: [1, 2, 3] }, { id: 'empty', pk: [] }, { id: 'frac', pk: [1.5, 2] },
    { id: 'str', pk: ['1', '2'] }, { id: 'pp', pk: [1, 2, 3, 4], pp: [1] },
    { id: 'big', pk: [2 ** 60, 0] }, { id: 'notlist', pk: 5 },
  ];
  const good = { id: 'ok', pk: [1, 1] };
  const out = unpackElements([...bad, good, { id: 'rect', x: 1 }]);
  assert.deepEqual(out.map((e) => e.id), ['ok', 'rect']);
  assert.deepEqual(unpackElements(undefined), undefined);
});

test('the socket URL asks for packed syncs', () => {
  const url = new URL(withPack('ws://h:8/ws/r?userId=Ann&v=2'));
  assert.equal(url.searchParams.get('pack'), '1');
  assert.equal(url.searchParams.get('v'), '2');
});

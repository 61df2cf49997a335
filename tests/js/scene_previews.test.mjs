// Other people's selections and live drags: shown on the overlay, hidden from the static
// layer while dragged, ended by their update, their select, `transform {}` or their leaving.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Scene } from '../../static/app/scene.js';

const rect = (id, x = 0, userId = 'ann') => ({ id, elementType: 'rect', x, y: 0, width: 10,
  height: 10, strokeColor: '#000000', strokeWidth: 2, userId });

function synced(elements = [], seq = 0) {
  const s = new Scene();
  s.applySync({ elements, seq, userId: 'me', color: '#e6194b', users: [] });
  return s;
}

const select = (userId, ids, color = '#3cb44b') => ({ type: 'select', userId,
  data: { ids, color } });
const transform = (userId, data) => ({ type: 'transform', userId, data });

test("a select shows as that user's outline, only ids still on the board", () => {
  const s = synced([rect('a'), rect('b')], 2);
  s.takeChanges();
  assert.equal(s.applyEphemeral(select('bob', ['a', 'b', 'gone'])), true);
  assert.deepEqual([...s.remoteSelections()], [{ userId: 'bob', color: '#3cb44b', ids: ['a', 'b'] }]);
  const changes = s.takeChanges();
  assert.equal(changes.overlay, true);
  assert.equal(changes.full, false); // an outline is overlay work only
  s.applyChange({ type: 'erase', userId: 'ann', seq: 3, data: { ids: ['b'] } });
  assert.deepEqual([...s.remoteSelections()][0].ids, ['a']);
});

test('a transform previews the selection moved from where the drag began', () => {
  const s = synced([rect('a', 0), rect('b', 100), rect('c', 200)], 3);
  s.applyEphemeral(select('bob', ['a', 'b']));
  s.takeChanges();
  s.applyEphemeral(transform('bob', { dx: 5, dy: 1 }));
  assert.equal(s.takeChanges().full, true); // a and b leave the static layer once
  assert.equal(s.hiddenByPreview('a'), true);
  assert.equal(s.hiddenByPreview('c'), false);
  assert.deepEqual(s.previewed().map((e) => [e.id, e.x, e.y]), [['a', 5, 1], ['b', 105, 1]]);
  // Later steps are relative to the start, not to the previous step; no full repaint.
  s.applyEphemeral(transform('bob', { dx: 20, dy: 0, sx: 2, sy: 1, ox: 0, oy: 0 }));
  const step = s.takeChanges();
  assert.equal(step.full, false);
  assert.equal(step.overlay, true);
  assert.deepEqual(s.previewed().map((e) => [e.id, e.x, e.width]), [['a', 20, 20], ['b', 220, 20]]);
  assert.equal(s.get('a').x, 0); // the board itself is unchanged
});

test("the user's update ends the preview and the update is applied", () => {
  const s = synced([rect('a', 0)], 1);
  s.applyEphemeral(select('bob', ['a']));
  s.applyEphemeral(transform('bob', { dx: 5, dy: 0 }));
  s.applyChange({ type: 'update', userId: 'bob', seq: 2, data: { ids: ['a'], move: [5, 0] } });
  assert.equal(s.hiddenByPreview('a'), false);
  assert.deepEqual(s.previewed(), []);
  assert.equal(s.get('a').x, 5);
});

test('transform {} ends a preview; a new select ends it too; leave drops the user', () => {
  const s = synced([rect('a'), rect('b')], 2);
  s.applyEphemeral(select('bob', ['a']));
  s.applyEphemeral(transform('bob', { dx: 5, dy: 0 }));
  s.applyEphemeral(transform('bob', {}));
  assert.equal(s.hiddenByPreview('a'), false);
  s.applyEphemeral(transform('bob', { dx: 5, dy: 0 }));
  s.applyEphemeral(select('bob', ['b']));
  assert.equal(s.hiddenByPreview('a'), false);
  assert.deepEqual(s.previewed(), []);
  s.applyEphemeral(transform('bob', { dx: 1, dy: 0 }));
  s.takeChanges();
  s.applyEphemeral({ type: 'leave', userId: 'bob', data: { userId: 'bob' } });
  assert.deepEqual([...s.remoteSelections()], []);
  assert.equal(s.hiddenByPreview('b'), false);
  assert.equal(s.takeChanges().full, true);
});

test('two users drag at once; each preview uses its own selection', () => {
  const s = synced([rect('a', 0), rect('b', 100)], 2);
  s.applyEphemeral(select('bob', ['a']));
  s.applyEphemeral(select('cy', ['b'], '#4363d8'));
  s.applyEphemeral(transform('bob', { dx: 1, dy: 0 }));
  s.applyEphemeral(transform('cy', { dx: 0, dy: 2 }));
  assert.deepEqual(s.previewed().map((e) => [e.id, e.x, e.y]), [['a', 1, 0], ['b', 100, 2]]);
});

test('my own select and transform echoes are ignored', () => {
  const s = synced([rect('a')], 1);
  assert.equal(s.applyEphemeral(select('me', ['a'])), false);
  assert.deepEqual([...s.remoteSelections()], []);
});

test('a preview is computed once per board state, not once per message', () => {
  const s = synced([rect('a', 0)], 1);
  s.applyEphemeral(select('bob', ['a']));
  s.applyEphemeral(transform('bob', { dx: 1, dy: 0 }));
  const first = s.previewed();
  assert.equal(s.previewed(), first); // no new work while nothing changed
  s.applyEphemeral(transform('bob', { dx: 2, dy: 0 }));
  assert.notEqual(s.previewed(), first);
});

test('a sync drops every selection and preview (the server sends them again)', () => {
  const s = synced([rect('a')], 1);
  s.applyEphemeral(select('bob', ['a']));
  s.applyEphemeral(transform('bob', { dx: 1, dy: 0 }));
  s.applySync({ elements: [rect('a')], seq: 5, userId: 'me', color: '#000000', users: [] });
  assert.equal(s.hiddenByPreview('a'), false);
  assert.deepEqual([...s.remoteSelections()], []);
});

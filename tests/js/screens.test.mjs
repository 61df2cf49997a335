// Issue 20's pure pieces: dark mode's ink mapping and the contrast of text on user colors
// (theme.js), the shortcut table and its help sheet (keyboard.js, ui/help.js), and the
// screen reader's announcements (ui/announce.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SHORTCUTS, keyNames, shortcutFor } from '../../static/app/keyboard.js';
import { contrast, DARK_BOARD, darkElement, darkInk, textOn } from '../../static/app/theme.js';
import { announceChanges, describe, INTERVAL_MS, summary } from '../../static/app/ui/announce.js';
import { helpGroups, keyParts } from '../../static/app/ui/help.js';
import { COLORS } from '../../static/app/ui/toolbar.js';

// The server's user colors (lanboard/room.py PALETTE).
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46a0a0', '#f032e6',
  '#808000', '#9a6324', '#800000', '#000075', '#e6a100', '#008080', '#a0522d', '#6a5acd',
  '#2f4f4f'];

test('initials and labels on every user color reach 4.5:1', () => {
  for (const c of PALETTE) assert.ok(contrast(c, textOn(c)) >= 4.5, `${c} ${textOn(c)}`);
  // White, as before, fell short on three of them.
  assert.ok(PALETTE.filter((c) => contrast(c, '#ffffff') < 3).length >= 3);
});

test('dark ink shows light on the dark board, keeping its hue; bright ink is kept', () => {
  assert.ok(contrast(darkInk('#1e1e1e'), DARK_BOARD) >= 4.5);
  assert.ok(contrast(darkInk('#000075'), DARK_BOARD) >= 4.5);
  const navy = darkInk('#000075');
  assert.ok(parseInt(navy.slice(5, 7), 16) > parseInt(navy.slice(1, 3), 16), `${navy} is blue`);
  for (const [c] of COLORS) assert.ok(contrast(darkInk(c), DARK_BOARD) >= 3, c);
  assert.equal(darkInk('#facc15'), '#facc15');
  assert.equal(darkInk('#e03131'), '#e03131');
  assert.equal(darkInk('red'), 'red'); // not hex: as it is
});

test('the mapped element is a copy; text on a light paper keeps its true color', () => {
  const path = { id: 'a', elementType: 'path', strokeColor: '#1e1e1e', points: [] };
  const shown = darkElement(path);
  assert.notEqual(shown, path);
  assert.equal(path.strokeColor, '#1e1e1e');
  assert.notEqual(shown.strokeColor, '#1e1e1e');
  const note = { id: 'n', elementType: 'sticky', strokeColor: '#1e1e1e', fillColor: null };
  assert.equal(darkElement(note), note); // black text on the yellow paper
  const box = { id: 'b', elementType: 'rect', strokeColor: '#1e1e1e', fillColor: '#1e1e1e' };
  assert.notEqual(darkElement(box).fillColor, '#1e1e1e');
  const red = { id: 'r', elementType: 'rect', strokeColor: '#e03131' };
  assert.equal(darkElement(red), red);
});

const ev = (key, mods = {}) => ({ key, code: mods.code || '', ctrlKey: !!mods.ctrl,
  metaKey: false, shiftKey: !!mods.shift, altKey: false });
const page = (selected = 0) => ({ controller: { selection: { size: selected } }, panBy: () => {} });

test('the shortcut table runs what it lists', () => {
  assert.equal(shortcutFor(keyNames(ev('z', { ctrl: true })), page()).row.label, 'Undo');
  assert.equal(shortcutFor(keyNames(ev('Z', { ctrl: true, shift: true })), page()).row.label, 'Redo');
  assert.equal(shortcutFor(keyNames(ev('?', { shift: true })), page()).row.label, 'These shortcuts');
  assert.equal(shortcutFor(keyNames(ev('}', { ctrl: true, shift: true, code: 'BracketRight' })),
    page()).row.label, 'Bring to front');
  assert.equal(shortcutFor(keyNames(ev('V', { shift: true })), page()), null); // Shift+V: nothing
  assert.equal(shortcutFor(keyNames(ev('r')), page()).row.label, 'Rectangle');
  assert.match(shortcutFor(keyNames(ev('ArrowLeft')), page(1)).row.label, /Nudge/);
  assert.match(shortcutFor(keyNames(ev('ArrowLeft')), page(0)).row.label, /Pan/);
  assert.equal(shortcutFor(keyNames(ev('c', { ctrl: true })), page()), null); // the browser's
});

test('the help sheet lists every row of the table, keys as shown', () => {
  const listed = helpGroups(SHORTCUTS).flatMap(([, rows]) => rows.map((r) => r.label));
  assert.deepEqual(listed, SHORTCUTS.map((r) => r.label));
  assert.deepEqual(keyParts('mod+shift+z').main, ['Z']);
  assert.ok(['Ctrl', '⌘'].includes(keyParts('mod+shift+z').mods[0]));
  assert.deepEqual(keyParts('+'), { mods: [], main: ['+'] });
  const arrows = helpGroups(SHORTCUTS).flatMap(([, rows]) => rows)
    .find((r) => r.label.startsWith('Nudge the selection 1'));
  assert.deepEqual(arrows.keys, [{ mods: [], main: ['←', '→', '↑', '↓'] }]);
});

test('announcements: others\' changes in words, at most one every few seconds', async () => {
  assert.equal(describe({ type: 'draw', userId: 'Ana', data: { id: 'x', elementType: 'rect' } },
    false), 'Ana added a rectangle');
  assert.equal(describe({ type: 'erase', userId: 'Bo', data: { ids: ['a', 'b'] } }), 'Bo erased 2 items');
  assert.equal(describe({ type: 'append', userId: 'Bo', data: {} }), '');
  assert.ok(INTERVAL_MS >= 3000);
  assert.equal(summary([{ who: 'Ana', text: 'x' }, { who: 'Bo', text: 'y' }]),
    'Ana and Bo made 2 changes');

  let now = 0;
  const scene = { userId: 'Me', confirmed: new Map(), applyChange: () => true };
  const region = { textContent: '' };
  const { said } = announceChanges(scene, region, () => now, 200);
  const draw = (who, id) => scene.applyChange({ type: 'draw', userId: who,
    data: { id, elementType: 'ellipse' } });
  draw('Me', 'm1'); // mine: never said
  draw('Ana', 'a1');
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(said, ['Ana added an ellipse']);
  now = 100;
  draw('Ana', 'a2');
  draw('Bo', 'b1');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(said.length, 1, 'held back until the interval has passed');
  now = 201;
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(said, ['Ana added an ellipse', 'Ana and Bo made 2 changes']);
});

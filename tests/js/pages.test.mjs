// Issue 15's pure page logic: the pages of a board (pages.js), the view each keeps, follow me
// carrying the page (follow.js), the size rule of an upload (assets.js) and where a new
// picture lands (drop.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fitSize, KEEP_BYTES, MAX_ASSET_BYTES, uploadPlan } from '../../static/app/assets.js';
import { placeBox } from '../../static/app/drop.js';
import { Follow, setViewPage, viewCenter, viewPage } from '../../static/app/follow.js';
import { highestPage, onPage, pageOf, Pages } from '../../static/app/pages.js';
import { cleanSettings } from '../../static/app/roles.js';
import { View } from '../../static/app/view.js';

/** A Storage that keeps items in a Map, as sessionStorage does. */
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)),
    map: m };
}

test('an element without page is on page 1; junk pages count as 1', () => {
  assert.equal(pageOf({}), 1);
  assert.equal(pageOf({ page: 3 }), 3);
  for (const bad of [0, -2, 1.5, '2', 201, null, true]) assert.equal(pageOf({ page: bad }), 1);
  assert.equal(highestPage([]), 1);
  assert.equal(highestPage([{ page: 2 }, {}, { page: 7 }, { page: 5 }]), 7);
});

test('a new element on page 1 carries no page (seed clients read it), elsewhere it does', () => {
  assert.deepEqual(onPage({ id: 'a', page: 4 }, 1), { id: 'a' });
  assert.deepEqual(onPage({ id: 'a' }, 3), { id: 'a', page: 3 });
  const p = new Pages();
  assert.deepEqual(p.stamp({ id: 'x' }), { id: 'x' });
  p.go(2, null);
  assert.deepEqual(p.stamp({ id: 'x' }), { id: 'x', page: 2 });
});

test('the count is the larger of settings.pages and the highest page used (and the current)', () => {
  const p = new Pages();
  assert.equal(p.count, 1);
  p.setSetting(3);
  assert.equal(p.count, 3);
  assert.equal(p.countBoard([{ page: 5 }]), true);
  assert.equal(p.count, 5);
  assert.equal(p.countBoard([{ page: 5 }, {}]), false);
  p.setSetting('9');
  assert.equal(p.setting, 1);
  assert.equal(p.count, 5);
  p.go(8, null); // someone is on a page the board lost (a clear): it still counts
  assert.equal(p.count, 8);
  assert.equal(p.shows({ page: 8 }), true);
  assert.equal(p.shows({}), false);
});

test('each page keeps its own view; the tab comes back to its page and views', () => {
  const storage = memoryStorage();
  const p = new Pages({ key: 'k', storage });
  const a = { scale: 2, ox: 10, oy: 20 };
  const r1 = p.go(2, a);
  assert.deepEqual(r1, { page: 2, view: null, changed: true });
  p.keepView({ scale: 0.5, ox: -3, oy: 4 });
  const r2 = p.go(1, { scale: 0.5, ox: -3, oy: 4 });
  assert.deepEqual(r2.view, a);
  assert.deepEqual(p.go(1, a), { page: 1, view: null, changed: false });
  p.go(2, a);
  const again = new Pages({ key: 'k', storage });
  assert.equal(again.current, 2);
  assert.deepEqual(again.views.get(2), { scale: 0.5, ox: -3, oy: 4 });
  assert.deepEqual(again.views.get(1), a);
  // Pages are clamped, and a broken stored entry starts on page 1.
  assert.equal(p.go(999, a).page, 200);
  assert.equal(p.go(-4, a).page, 1);
  storage.setItem('k', '{"current": "x", "views": {"0": {"scale": 1}, "3": 5}}');
  const broken = new Pages({ key: 'k', storage });
  assert.equal(broken.current, 1);
  assert.equal(broken.views.size, 0);
  storage.setItem('k', 'not json');
  assert.equal(new Pages({ key: 'k', storage }).current, 1);
});

test('follow me carries the page: a follower turns to it before taking the view', () => {
  assert.equal(viewPage({}), 1);
  assert.equal(viewPage({ page: 4 }), 4);
  assert.equal(viewPage({ page: 'x' }), 1);
  const turned = [];
  const f = new Follow();
  f.onPage = (p) => turned.push(p);
  const on = cleanSettings({ follow: true });
  assert.equal(f.take({ x: 1, y: 2, zoom: 1, page: 3 }, 'student', on), true);
  assert.equal(f.take({ x: 1, y: 2, zoom: 1 }, 'student', cleanSettings({})), false);
  f.panned('student');
  assert.equal(f.take({ x: 1, y: 2, zoom: 1, page: 2 }, 'student', on), false);
  assert.deepEqual(turned, [3]);
  assert.deepEqual(f.resume(), { x: 1, y: 2, zoom: 1, page: 2 });
  assert.deepEqual(turned, [3, 2]);
  // The teacher's own views are not taken, and turn nothing.
  assert.equal(f.take({ x: 1, y: 2, zoom: 1, page: 5 }, 'teacher', on), false);
  assert.deepEqual(turned, [3, 2]);
  // What the teacher sends: page only off page 1.
  const view = new View();
  setViewPage(() => 1);
  assert.equal('page' in viewCenter(view, 800, 600), false);
  setViewPage(() => 6);
  assert.equal(viewCenter(view, 800, 600).page, 6);
  setViewPage(() => 1);
});

test('settings.pages is read from the wire, 1 when absent or bad', () => {
  assert.equal(cleanSettings({}).pages, 1);
  assert.equal(cleanSettings({ pages: 4 }).pages, 4);
  assert.equal(cleanSettings({ pages: '4' }).pages, 1);
  assert.equal(cleanSettings({ pages: 0 }).pages, 1);
});

test('downscale: the long side is at most 2,560 px, aspect kept, never enlarged', () => {
  assert.deepEqual(fitSize(4032, 3024), { width: 2560, height: 1920 });
  assert.deepEqual(fitSize(3024, 4032), { width: 1920, height: 2560 });
  assert.deepEqual(fitSize(800, 600), { width: 800, height: 600 });
  assert.deepEqual(fitSize(100000, 10), { width: 2560, height: 1 });
});

test('upload plan: a phone photo is re-encoded; small pictures and GIFs go as they are', () => {
  // A 12 MP, 12 MB phone photo: JPEG at 0.85, 2,560 px long.
  assert.deepEqual(uploadPlan({ type: 'image/jpeg', width: 4032, height: 3024,
    bytes: 12e6 }), { keep: false, width: 2560, height: 1920, type: 'image/jpeg',
    quality: 0.85 });
  // A small JPEG within the size goes untouched (no second loss of quality).
  assert.deepEqual(uploadPlan({ type: 'image/jpeg', width: 1200, height: 900, bytes: 300e3 }),
    { keep: true });
  // A heavy JPEG within the size is re-encoded all the same.
  assert.equal(uploadPlan({ type: 'image/jpeg', width: 2000, height: 1500, bytes: 5e6 }).keep,
    false);
  // A screenshot PNG (small): kept, sharp text; a transparent small PNG too.
  assert.deepEqual(uploadPlan({ type: 'image/png', width: 1280, height: 800,
    bytes: KEEP_BYTES }), { keep: true });
  assert.deepEqual(uploadPlan({ type: 'image/png', width: 600, height: 600, bytes: 90e3,
    alpha: true }), { keep: true });
  // A big opaque PNG becomes JPEG; a big transparent one WebP (it keeps the transparency).
  assert.equal(uploadPlan({ type: 'image/png', width: 3000, height: 2000, bytes: 6e6 }).type,
    'image/jpeg');
  const clear = uploadPlan({ type: 'image/png', width: 3000, height: 2000, bytes: 6e6,
    alpha: true });
  assert.equal(clear.type, 'image/webp');
  assert.deepEqual([clear.width, clear.height], [2560, 1707]);
  // A GIF under the server's caps stays as it is (an animation survives), even 4,000 px long.
  assert.deepEqual(uploadPlan({ type: 'image/gif', width: 4000, height: 300, bytes: 3e6 }),
    { keep: true });
  // Over the caps it is re-encoded like any picture.
  assert.equal(uploadPlan({ type: 'image/gif', width: 800, height: 600,
    bytes: MAX_ASSET_BYTES + 1 }).keep, false);
  assert.equal(uploadPlan({ type: 'image/gif', width: 9000, height: 600, bytes: 1e6 }).keep,
    false);
  // A type the server does not take (BMP, HEIC decoded by the browser) is always re-encoded.
  assert.equal(uploadPlan({ type: 'image/bmp', width: 100, height: 100, bytes: 30e3 }).keep,
    false);
});

test('a new picture is centred where it goes and fits 60% of the view', () => {
  // Small: as many world units as pixels on screen at zoom 1.
  assert.deepEqual(placeBox(200, 100, 0, 0, 1, 1000, 800), { x: -100, y: -50, width: 200,
    height: 100 });
  // At zoom 2 the same picture is half as many world units (the same size on screen).
  assert.deepEqual(placeBox(200, 100, 50, 50, 2, 1000, 800), { x: 0, y: 25, width: 100,
    height: 50 });
  // A 2,560 px photo on a phone: 60% of the view's width.
  const b = placeBox(2560, 1920, 0, 0, 1, 390, 844);
  assert.equal(b.width, 234);
  assert.equal(b.height, 176);
});

test("the teacher's select tool: a click picks a locked background, a drag on it is a marquee", async () => {
  const { selectTool } = await import('../../static/app/tools/select.js');
  const bg = { id: 'bg', elementType: 'image', locked: true };
  const ctx = {
    scale: 1, isSelected: () => false, selectionBox: () => null,
    scene: { hitTopmost: () => bg, idsInBox: () => ['s1'] },
  };
  const click = selectTool();
  assert.deepEqual(click.down(ctx, { x: 10, y: 10 }), []);
  assert.deepEqual(click.up(ctx, { x: 10, y: 10 }), [{ op: 'select', ids: ['bg'], how: 'replace' }]);
  const sweep = selectTool();
  sweep.down(ctx, { x: 10, y: 10 });
  assert.deepEqual(sweep.move(ctx, { x: 80, y: 60 }), [{ op: 'marquee' }]);
  assert.deepEqual(sweep.up(ctx, { x: 80, y: 60 }),
    [{ op: 'marquee' }, { op: 'select', ids: ['s1'], how: 'replace' }]);
  // Once selected, a drag on it moves it (the teacher may).
  const move = selectTool();
  move.down({ ...ctx, isSelected: () => true }, { x: 10, y: 10 });
  assert.deepEqual(move.move(ctx, { x: 30, y: 10 }), [{ op: 'drag', t: { dx: 20, dy: 0 } }]);
});

test('the picture cache lets go of the least recently drawn past its limit, never one on screen', async () => {
  const { AssetCache, MAX_PICTURES } = await import('../../static/app/assets.js');
  let t = 0;
  const closed = [];
  const cache = new AssetCache('r', () => {});
  cache.now = () => t;
  const pic = (i) => ({ i, close: () => closed.push(i) });
  const n = MAX_PICTURES + 8;
  for (let i = 0; i < n; i += 1) cache.put(`h${i}`, pic(i));
  // All drawn just now: every one is kept.
  assert.equal(cache.entries.size, n);
  t = 60000;
  cache.get('h0'); // h0 is drawn again: it is the newest now
  cache.put('hx', pic('x'));
  assert.equal(cache.entries.size, MAX_PICTURES);
  assert.ok(cache.get('h0'), 'the one drawn just now stays');
  assert.ok(cache.get('hx'));
  assert.deepEqual(closed, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

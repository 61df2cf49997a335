// The teacher's console's pure parts (issue 14): what a role may do under the settings
// (roles.js), laser trails that fade (laser.js), and who follows the teacher's view (follow.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Follow, viewCenter, viewCentered } from '../../static/app/follow.js';
import { FADE_MS, LaserTrails } from '../../static/app/laser.js';
import { canChange, canLaser, cleanRole, cleanSettings, viewOnlyReason } from '../../static/app/roles.js';
import { View } from '../../static/app/view.js';

test('a seed server (no role, no settings) leaves a student free to draw', () => {
  const s = cleanSettings(undefined);
  assert.equal(cleanRole(undefined), 'student');
  assert.equal(canChange('student', s, 'ann'), true);
  assert.equal(viewOnlyReason('student', s, 'ann'), '');
  assert.equal(canLaser('student', s), false);
});

test('lock, view-only and the viewer role stop changes; the teacher is never stopped', () => {
  const locked = cleanSettings({ locked: true });
  assert.equal(canChange('student', locked, 'ann'), false);
  assert.equal(canChange('teacher', locked, 'T'), true);
  assert.match(viewOnlyReason('student', locked, 'ann'), /locked/);
  const one = cleanSettings({ viewOnly: ['ann', 7] });
  assert.deepEqual(one.viewOnly, ['ann']);
  assert.equal(canChange('student', one, 'ann'), false);
  assert.equal(canChange('student', one, 'bob'), true);
  assert.equal(canChange('viewer', cleanSettings({}), 'v'), false);
  assert.equal(cleanRole('admin'), 'student');
  assert.equal(canLaser('student', cleanSettings({ allowLaser: true })), true);
  assert.equal(canLaser('viewer', cleanSettings({ allowLaser: true })), false);
});

test('a laser trail fades and is gone FADE_MS after its last point', () => {
  const l = new LaserTrails();
  l.add('T', 1, 2, '#ff0000', 1000);
  l.add('T', 3, 4, null, 1500);
  const t = l.trails(1600);
  assert.equal(t.length, 1);
  assert.equal(t[0].color, '#ff0000');
  assert.equal(t[0].points.length, 2);
  assert.ok(t[0].points[0].alpha < t[0].points[1].alpha);
  assert.equal(l.trails(1000 + FADE_MS).length ? l.trails(1000 + FADE_MS)[0].points.length : 0, 1);
  assert.equal(l.prune(1500 + FADE_MS), false);
  assert.equal(l.size, 0);
  assert.ok(FADE_MS <= 2000);
  l.add('T', NaN, 0, '#000', 0);
  assert.equal(l.size, 0);
});

test('students follow until they pan; viewers always; "all" moves everyone once', () => {
  const on = cleanSettings({ follow: true });
  const off = cleanSettings({});
  const f = new Follow();
  const v = { x: 10, y: 20, zoom: 2 };
  assert.equal(f.take(v, 'student', off), false);
  assert.equal(f.take(v, 'student', on), true);
  f.panned('student');
  assert.equal(f.take(v, 'student', on), false);
  assert.equal(f.showResume('student', on), true);
  assert.equal(f.take({ ...v, all: true }, 'student', on), true);
  assert.deepEqual(f.resume(), { x: 10, y: 20, zoom: 2, page: 1 });
  assert.equal(f.take(v, 'student', on), true);
  const viewer = new Follow();
  viewer.panned('viewer');
  assert.equal(viewer.take(v, 'viewer', on), true);
  // A projector's viewer link follows by default, "follow me" on or not.
  assert.equal(viewer.take(v, 'viewer', off), true);
  assert.equal(viewer.take(v, 'teacher', on), false);
  assert.equal(f.take({ x: 1, y: 1, zoom: 0 }, 'student', on), false);
});

test('the view sent is the world point at the center, and taking it puts that point there', () => {
  const view = new View();
  view.zoomAt(100, 50, 2);
  view.panBy(30, -7);
  const c = viewCenter(view, 800, 600);
  const next = viewCentered(c.x, c.y, c.zoom, 800, 600);
  assert.ok(Math.abs(next.ox - view.ox) < 1e-9 && Math.abs(next.oy - view.oy) < 1e-9);
  assert.equal(next.scale, 2);
});

test('the socket URL carries the key and client id; writes carry the key and the name', async () => {
  const { withKey } = await import('../../static/app/session.js');
  const { writeHeaders } = await import('../../static/app/api.js');
  const url = new URL(withKey('ws://h:8/ws/r?userId=Ann&v=2', 'K-1', 'c1'));
  assert.equal(url.searchParams.get('key'), 'K-1');
  assert.equal(url.searchParams.get('clientId'), 'c1');
  assert.equal(url.searchParams.get('userId'), 'Ann');
  assert.equal(new URL(withKey('ws://h/ws/r?userId=A', '', '')).search, '?userId=A');
  const h = writeHeaders({ key: 'K', user: () => 'Zoë 50%' });
  assert.equal(h['X-LANBoard-Key'], 'K');
  assert.equal(decodeURIComponent(h['X-LANBoard-User']), 'Zoë 50%');
  assert.deepEqual(writeHeaders({}), { 'Content-Type': 'application/json' });
});

test("a teacher's Share shows the viewer and teacher keys on the address being shown", async () => {
  const { roleLinks } = await import('../../static/app/ui/share.js');
  const links = { student: 'http://127.0.0.1:8/room/r', viewer: 'http://127.0.0.1:8/room/r?key=V',
    teacher: 'http://127.0.0.1:8/room/r?key=T' };
  const out = roleLinks(links, 'http://192.168.1.5:8/room/r');
  assert.equal(out.viewer, 'http://192.168.1.5:8/room/r?key=V');
  assert.equal(out.teacher, 'http://192.168.1.5:8/room/r?key=T');
  assert.equal(roleLinks(null, 'http://x/room/r'), null);
  assert.equal(roleLinks({ viewer: 'nope' }, 'http://x/room/r'), null);
});

// The one rate limit for what a page streams while the pointer moves (throttle.js): at most
// one send per interval, the latest value wins, and the last value always goes out.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Throttle } from '../../static/app/throttle.js';

const later = (ms) => new Promise((done) => setTimeout(done, ms));

test('the first value goes at once, a burst after it sends only its last, late', async () => {
  let clock = 1000;
  const sent = [];
  const t = new Throttle(30, (v) => sent.push(v), () => clock);
  t.push(1);
  assert.deepEqual(sent, [1]);
  clock += 5;
  t.push(2);
  t.push(3);
  t.push(4);
  assert.deepEqual(sent, [1], 'nothing more inside the interval');
  clock += 25;
  await later(40);
  assert.deepEqual(sent, [1, 4], 'where the pointer stopped, not where it was');
  await later(40);
  assert.deepEqual(sent, [1, 4], 'one trailing send, not one per value pushed');
});

test('a value after a quiet interval goes at once', () => {
  let clock = 0;
  const sent = [];
  const t = new Throttle(30, (v) => sent.push(v), () => clock);
  t.push('a');
  clock = 31;
  t.push('b');
  assert.deepEqual(sent, ['a', 'b']);
});

test('cancel forgets the waiting value; sendNow goes at once in its place', async () => {
  let clock = 0;
  const sent = [];
  const t = new Throttle(30, (v) => sent.push(v), () => clock);
  t.push(1);
  t.push(2);
  t.cancel();
  await later(50);
  assert.deepEqual(sent, [1]);
  t.push(3);
  assert.deepEqual(sent, [1], 'the clock has not moved: 3 waits');
  t.sendNow(9);
  await later(50);
  assert.deepEqual(sent, [1, 9], 'the waiting 3 is replaced, not sent after');
});

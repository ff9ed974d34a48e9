// The live Go-time bodies: format, accuracy, in-place rewriting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoTimeBodies } from '../../src/http/clock.js';

const GoTime = /^\{"time": "(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9}) \+0000 UTC m=\+(\d+)\.(\d{9})"\}$/;

test('valid body is Go time.String() with 9 fraction digits, matching the wall clock', () => {
  const started = Date.now() - 1234;
  const c = new GoTimeBodies(started);
  const before = Date.now();
  c.refresh();
  const text = c.valid.toString();
  const m = GoTime.exec(text);
  assert.ok(m, text);
  const wall = Date.parse(`${m[1].slice(0, 10)}T${m[1].slice(11, 23)}Z`);
  assert.ok(Math.abs(wall - before) <= 5, `${m[1]} vs ${new Date(before).toISOString()}`);
  assert.equal(m[1].slice(0, 19), new Date(wall).toISOString().slice(0, 19).replace('T', ' '));
  const mono = Number(`${m[2]}.${m[3]}`);
  assert.ok(Math.abs(mono - 1.234) < 0.05, `m=+${mono}`);
});

test('invalid body carries the same time with the missing quote', () => {
  const c = new GoTimeBodies(Date.now());
  c.refresh();
  assert.equal(c.invalid.toString(), c.valid.toString().replace('{"time"', '{time"'));
});

test('refresh rewrites the same Buffer in place once the millisecond moves', () => {
  const c = new GoTimeBodies(Date.now());
  const buf = c.valid;
  const first = buf.toString();
  const t = Date.now();
  while (Date.now() < t + 2) { /* spin past the millisecond */ }
  c.refresh();
  assert.equal(c.valid, buf, 'no new Buffer');
  assert.notEqual(buf.toString(), first);
});

test('under traffic the 1 ms timer reads the clock, not each request; it stops once requests stop', () => {
  const c = new GoTimeBodies(Date.now());
  c.refresh();
  assert.equal(c.running, true, 'the first request starts the timer');
  // The first few requests of a timer period still read the clock (light traffic stays exact)...
  const spin = (): void => { const t = Date.now(); while (Date.now() < t + 2) { /* spin past the millisecond */ } };
  let reads = 0;
  for (let i = 0; i < 20; i++) {
    const before = c.valid.toString();
    spin();
    c.refresh();
    if (c.valid.toString() !== before) reads++;
  }
  assert.ok(reads >= 1 && reads <= 8, `${reads} of 20 requests in one timer period read the clock: a few, not all`);
  // ...the rest only mark the body as used, and the timer brings it up to date.
  const stale = c.valid.toString();
  spin();
  c.refresh();
  assert.equal(c.valid.toString(), stale, 'a request past the period\'s reads only marks the body as used');
  c.tick();
  assert.notEqual(c.valid.toString(), stale, 'the timer brings a used body up to date');
  assert.equal(c.running, true);
  const ticked = c.valid.toString();
  spin();
  c.refresh();
  assert.notEqual(c.valid.toString(), ticked, 'a new timer period gives requests their own clock reads again');
  c.tick();
  c.tick();
  assert.equal(c.running, false, 'a timer period with no request stops it');
  const before = c.valid.toString();
  spin();
  c.refresh();
  assert.notEqual(c.valid.toString(), before, 'the next request reads the clock itself');
});

test('a request reads the clock itself even when the timer runs late (a busy machine)', () => {
  const c = new GoTimeBodies(Date.now());
  c.refresh();
  // The timer is due but has not run (the event loop was busy): a lone request must not get a stale time.
  const first = c.valid.toString();
  const t = Date.now();
  while (Date.now() < t + 3) { /* the timer's millisecond passes without a tick */ }
  c.refresh();
  assert.equal(c.running, true);
  assert.notEqual(c.valid.toString(), first);
});

test('the monotonic reading grows a digit without breaking the format', () => {
  const c = new GoTimeBodies(Date.now() - 12_345_678);
  c.refresh();
  assert.match(c.valid.toString(), /m=\+1234\d\.\d{9}"\}$/);
  assert.match(c.valid.toString(), GoTime);
});

test('dates across the calendar render as the ISO date does', () => {
  // Drive the civil-date math through the constructor's start offset is not possible; check a year of days instead.
  const c = new GoTimeBodies(Date.now());
  for (const iso of ['2024-02-29T23:59:59Z', '2000-03-01T00:00:00Z', '2026-12-31T12:00:00Z', '2100-01-01T00:00:01Z']) {
    const second = Date.parse(iso) / 1000;
    (c as unknown as { writeDateTime(b: Buffer, at: number, s: number): void }).writeDateTime(c.valid, 10, second);
    assert.equal(c.valid.subarray(10, 29).toString(), iso.slice(0, 19).replace('T', ' '));
  }
});

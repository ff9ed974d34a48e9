// The deferred-response scheduler, driven with stand-in responses: order, aborts, growth, idle hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, type Responder } from '../../src/http/scheduler.js';
import type { HttpResponse } from '../../src/http/uws.js';

interface FakeRes { id: number; abort: (() => void) | null; corked: number }

function fakeRes(id: number): FakeRes & HttpResponse {
  const r = { id, abort: null as (() => void) | null, corked: 0,
    onAborted(fn: () => void) { r.abort = fn; return r; },
    cork(fn: () => void) { r.corked++; fn(); return r; } };
  return r as unknown as FakeRes & HttpResponse;
}

function recorder(): { order: number[]; responder: Responder } {
  const order: number[] = [];
  return { order, responder: { send(res) { order.push((res as unknown as FakeRes).id); } } };
}

function until(pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => { if (pred()) resolve(); else setTimeout(check, 5); };
    check();
  });
}

test('responses are sent corked, in due order, not before their time', async () => {
  const s = new Scheduler(4);
  const { order, responder } = recorder();
  const delays = [80, 10, 50, 30, 70, 20, 60, 40];
  const t0 = performance.now();
  const sentAt: number[] = [];
  const timed: Responder = { send(res, arg, n) { sentAt[n] = performance.now() - t0; responder.send(res, arg, n); } };
  const all = delays.map((d, i) => { const r = fakeRes(d); s.schedule(r, d, timed, null, i); return r; });
  assert.equal(s.pending, 8);
  await until(() => s.pending === 0);
  assert.deepEqual(order, [...delays].sort((a, b) => a - b));
  delays.forEach((d, i) => assert.ok(sentAt[i] >= d, `${d} ms sent at ${sentAt[i]}`));
  assert.ok(all.every((r) => r.corked === 1));
});

test('an aborted response is dropped at once and never written', async () => {
  const s = new Scheduler(2);
  const { order, responder } = recorder();
  const rs = [1, 2, 3, 4, 5].map((id) => { const r = fakeRes(id); s.schedule(r, 20 + id, responder, null, 0); return r; });
  rs[1].abort?.();
  rs[3].abort?.();
  assert.equal(s.pending, 3);
  rs[1].abort?.(); // a second abort for the same slot is harmless
  assert.equal(s.pending, 3);
  await until(() => s.pending === 0);
  assert.deepEqual(order, [1, 3, 5]);
});

test('thousands pending grow the slot pool and all complete', async () => {
  const s = new Scheduler(8);
  let sent = 0;
  const responder: Responder = { send() { sent++; } };
  for (let i = 0; i < 5000; i++) s.schedule(fakeRes(i), 5 + (i % 50), responder, null, 0);
  assert.equal(s.pending, 5000);
  await until(() => s.pending === 0);
  assert.equal(sent, 5000);
});

test('an earlier response scheduled later re-arms the timer', async () => {
  const s = new Scheduler();
  const { order, responder } = recorder();
  s.schedule(fakeRes(1), 500, responder, null, 0);
  s.schedule(fakeRes(2), 10, responder, null, 0);
  await until(() => order.length === 1);
  assert.deepEqual(order, [2]);
  s.flushAll();
  assert.deepEqual(order, [2, 1]);
  assert.equal(s.pending, 0);
});

test('onIdle fires when the last pending response leaves', async () => {
  const s = new Scheduler();
  let idle = 0;
  s.onIdle = () => { idle++; };
  const { responder } = recorder();
  s.schedule(fakeRes(1), 5, responder, null, 0);
  const r = fakeRes(2);
  s.schedule(r, 5, responder, null, 0);
  r.abort?.();
  assert.equal(idle, 0);
  await until(() => s.pending === 0);
  assert.equal(idle, 1);
});

test('tasks run in due order, never early, uncorked; a cancelled task never runs; a throwing one does not stop the rest', async () => {
  const s = new Scheduler(2);
  const ran: number[] = [];
  const errors: unknown[] = [];
  s.onTaskError = (e) => errors.push(e);
  const t0 = performance.now();
  const at: number[] = [];
  const task = { run(_arg: object, n: number) { at[n] = performance.now() - t0; ran.push(n); if (n === 3) throw new Error('task 3'); } };
  const delays = [40, 10, 30, 20, 50];
  const slots = delays.map((d, i) => s.scheduleTask(d, task, {}, i));
  s.cancel(slots[4]);
  s.cancel(slots[4]); // twice: ignored
  assert.equal(s.pending, 5 - 1, 'pending counts what waits (tasks included)');
  await until(() => ran.length === 4);
  await new Promise((r) => setTimeout(r, 70));
  assert.deepEqual(ran, [1, 3, 2, 0]);
  delays.slice(0, 4).forEach((d, i) => assert.ok(at[i] >= d, `task ${i} due at ${d} ran at ${at[i]}`));
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'task 3');
});

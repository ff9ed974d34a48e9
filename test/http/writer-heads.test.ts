// Deferred HEADs and the writer's bookkeeping: a HEAD answered after its handler returned is remembered by its
// response until it ends; while any is remembered every GET pays the HEAD check (a WeakSet lookup). Each way a
// deferred HEAD can end (endHead, a fault, the client leaving, a responder that throws) must unmark it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/http/writer.js';
import { Scheduler, type Responder } from '../../src/http/scheduler.js';
import { prepare } from '../../src/http/head.js';
import { Faults } from '../../src/features/faults.js';
import { parseFault } from '../../src/grammar/fault.js';
import { allocateCounters, Counters, WorkerCounters } from '../../src/observe/counters.js';
import type { HttpRequest, HttpResponse } from '../../src/http/uws.js';
import { fakeRes, type Call } from '../helpers/fake-response.js';

const Body = prepare(200, 'application/json', '{"hello":"world"}');

interface Rig { writer: Writer; scheduler: Scheduler; faults: Faults }

function rig(): Rig {
  const counters = new WorkerCounters(new Counters(allocateCounters(1)), 0);
  const writer = new Writer(counters);
  const scheduler = new Scheduler(8);
  scheduler.attach(counters, writer);
  return { writer, scheduler, faults: new Faults(writer, null, 1000) };
}

// The scheduler's responses are answered once it is idle again; bounded so a broken scheduler fails the test.
function idle(s: Scheduler): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the scheduler never answered its pending response')), 5000);
    s.onIdle = () => { clearTimeout(t); resolve(); };
  });
}

function aborter(calls: Call[]): () => void {
  const c = calls.find((x) => x[0] === 'onAborted');
  assert.ok(c !== undefined, 'onAborted registered');
  return c[1] as () => void;
}

// How the deferred HEAD ends, and what the case then checks on the calls made.
interface Case {
  name: string;
  /** The responder the scheduler runs (null: none runs, the client leaves first). */
  responder: (r: Rig) => Responder;
  /** Milliseconds of delay (HEAD deferred past its handler). */
  delayMs: number;
  abort?: boolean;
  check?: (calls: Call[]) => void;
}

const plain = (r: Rig): Responder => ({ send(res) { r.writer.send(res, Body); } });
const faulted = (text: string) => (r: Rig): Responder => ({
  send(res) { r.faults.serve(res, parseFault(text, 'fault', 1000), (into) => r.writer.send(into, Body)); },
});
const throwing = (): Responder => ({ send() { throw new Error('boom'); } });

const cases: Case[] = [
  { name: 'delayed, answered through endHead', responder: plain, delayMs: 2,
    check: (calls) => assert.ok(calls.some((c) => c[0] === 'endWithoutBody')) },
  { name: 'delayed, then truncate(10): no body bytes on a HEAD', responder: faulted('truncate(10)'), delayMs: 2,
    check: (calls) => {
      // The head through writeStatus, then tryEnd(no bytes, the GET's length): uWS declares it, sends nothing.
      const head = calls.find((c) => c[0] === 'writeStatus');
      assert.ok(head !== undefined);
      assert.doesNotMatch(String(head[1]), /hello/);
      assert.deepEqual(calls.find((c) => c[0] === 'tryEnd'), ['tryEnd', '', 17]);
    } },
  { name: 'delayed, then big-headers(2KB)', responder: faulted('big-headers(2KB)'), delayMs: 2 },
  { name: 'delayed, then reset', responder: faulted('reset'), delayMs: 2 },
  { name: 'delayed, then hang (the client leaves)', responder: faulted('hang'), delayMs: 2 },
  { name: 'not delayed, reset in the handler', responder: faulted('reset'), delayMs: 0 },
  { name: 'delayed, the client leaves first', responder: plain, delayMs: 1000, abort: true },
  { name: 'delayed, the responder throws (500 through the writer)', responder: throwing, delayMs: 2 },
];

for (const c of cases) {
  test(`a deferred HEAD is unmarked once over: ${c.name}`, async () => {
    const r = rig();
    const { res, calls } = fakeRes();
    const responder = c.responder(r);
    const handler = r.writer.headHandler((rs: HttpResponse) => {
      if (c.delayMs > 0) r.scheduler.schedule(rs, c.delayMs, responder, null, 0);
      else responder.send(rs, null, 0);
    }, () => false);
    const done = c.delayMs > 0 ? idle(r.scheduler) : Promise.resolve();
    handler(res, {} as HttpRequest);
    if (c.delayMs > 0) assert.equal(r.writer.pendingHeads, 1, 'the HEAD is remembered while deferred');
    if (c.abort === true) aborter(calls)();
    await done;
    assert.equal(r.writer.pendingHeads, 0, `calls: ${JSON.stringify(calls.map((x) => x[0]))}`);
    c.check?.(calls);
    // And a GET on a fresh response is not taken for a HEAD.
    const get = fakeRes();
    assert.equal(r.writer.isHead(get.res), false);
  });
}

// The writer in-process, against a stand-in response that records every call uWS would get: the bytes on the
// wire are decided by these calls, so each case checks the exact sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/http/writer.js';
import { makeHead, prepare, QueuedBodyBytes, statusLine } from '../../src/http/head.js';
import { Recorder } from '../../src/http/recorder.js';
import { allocateCounters, Counters, F, WorkerCounters } from '../../src/observe/counters.js';
import { Journal } from '../../src/observe/journal.js';
import type { HttpRequest, HttpResponse } from '../../src/http/uws.js';
import { fakeRes } from '../helpers/fake-response.js';


const fakeReq = {} as HttpRequest;

function counted(): { counters: WorkerCounters; writer: Writer } {
  const counters = new WorkerCounters(new Counters(allocateCounters(1)), 0);
  return { counters, writer: new Writer(counters) };
}

test('a plain 200 is one end() with the body: uWS writes "200 OK" itself', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  w.send(res, prepare(200, null, 'hi'));
  assert.deepEqual(calls, [['end', 'hi']]);
});

test('a typed head goes out as one writeStatus with the status line and headers', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  w.sendBody(res, makeHead(200, 'application/json', [['X-A', '1']]), Buffer.from('{}'));
  assert.deepEqual(calls, [['writeStatus', '200 OK\r\nContent-Type: application/json\r\nX-A: 1'], ['end', '{}']]);
});

test('overrides: another status, extra headers (a Content-Type replaces the head\'s) and Connection: close', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  const head = makeHead(200, 'application/json');
  w.withOverrides(503, Buffer.from('503 Service Unavailable'), [Buffer.from('Content-Type'), Buffer.from('text/x'), Buffer.from('X-B'), Buffer.from('2')], true,
    () => w.sendBody(res, head, Buffer.from('b')));
  assert.deepEqual(calls, [
    ['writeStatus', '503 Service Unavailable'],
    ['writeHeader', 'Content-Type', 'text/x'],
    ['writeHeader', 'X-B', '2'],
    ['end', 'b', true],
  ]);
  assert.equal(w.lastCode, 503);
  // Outside withOverrides the head is plain again and the connection stays open.
  const after = fakeRes();
  w.sendBody(after.res, head, Buffer.from('b'));
  assert.deepEqual(after.calls, [['writeStatus', '200 OK\r\nContent-Type: application/json'], ['end', 'b']]);
  assert.equal(w.closing(), false);
});

test('overriding headers without a Content-Type keeps the head\'s', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  w.withOverrides(0, null, [Buffer.from('X-C'), Buffer.from('3')], false, () => w.sendBody(res, makeHead(200, 'text/plain'), Buffer.from('t')));
  assert.deepEqual(calls, [['writeHeader', 'Content-Type', 'text/plain'], ['writeHeader', 'X-C', '3'], ['end', 't']]);
});

test('HEAD: the GET head, Content-Length of the GET body, no body bytes', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  const get = (r: HttpResponse): void => w.send(r, prepare(200, 'text/plain', 'hello'));
  w.headHandler(get, () => false)(res, fakeReq);
  assert.deepEqual(calls, [['writeStatus', '200 OK\r\nContent-Type: text/plain'], ['writeHeader', 'Content-Length', '5'], ['endWithoutBody']]);
  assert.equal(w.isHead(res), false, 'answered: no longer a pending HEAD');
});

test('a HEAD deferred past its handler is remembered by its response until it is answered', () => {
  const w = new Writer();
  const { res, calls } = fakeRes();
  w.headHandler(() => {}, () => false)(res, fakeReq);
  const other = fakeRes();
  assert.equal(w.isHead(res), true);
  assert.equal(w.isHead(other.res), false);
  w.send(res, prepare(200, null, 'abc'));
  assert.deepEqual(calls, [['writeHeader', 'Content-Length', '3'], ['endWithoutBody']]);
  assert.equal(w.isHead(res), false);
});

test('a yielding shape hands HEAD on unmarked', () => {
  const w = new Writer();
  const { res } = fakeRes();
  let seen = true;
  w.headHandler(() => { seen = w.isHead(res); }, () => true)(res, fakeReq);
  assert.equal(seen, false);
});

for (const code of [204, 304]) {
  test(`${code} drops the body and writes no Content-Length (also under HEAD and close)`, () => {
    const w = new Writer();
    const plain = fakeRes();
    w.send(plain.res, prepare(code, null, 'ignored'));
    assert.deepEqual(plain.calls, [['writeStatus', `${code} ${code === 204 ? 'No Content' : 'Not Modified'}`], ['endWithoutBody']]);
    const head = fakeRes();
    w.headHandler((r) => w.send(r, prepare(code, null, 'ignored')), () => false)(head.res, fakeReq);
    assert.deepEqual(head.calls.slice(1), [['endWithoutBody']]);
    const closing = fakeRes();
    w.withOverrides(0, null, null, true, () => w.send(closing.res, prepare(code, null, 'x')));
    assert.deepEqual(closing.calls.slice(1), [['endWithoutBody', 0, true]]);
  });
}

test('a body over QueuedBodyBytes goes to the large writer; up to it, one end()', () => {
  const w = new Writer();
  const large: number[] = [];
  w.useLargeWriter((_res, _body, length) => { large.push(length); });
  const big = fakeRes();
  w.sendBody(big.res, makeHead(200, null), Buffer.alloc(QueuedBodyBytes + 1));
  assert.deepEqual(large, [QueuedBodyBytes + 1]);
  assert.deepEqual(big.calls, []);
  const small = fakeRes();
  w.sendBody(small.res, makeHead(200, null), Buffer.alloc(QueuedBodyBytes));
  assert.deepEqual(large, [QueuedBodyBytes + 1]);
  assert.equal(small.calls.length, 1);
  assert.equal(small.calls[0][0], 'end');
});

test('counters count every head with its status class and body bytes', () => {
  const { counters, writer } = counted();
  writer.send(fakeRes().res, prepare(200, null, 'abcd'));
  writer.withOverrides(503, Buffer.from('503 Service Unavailable'), null, false, () => writer.send(fakeRes().res, prepare(200, null, 'xy')));
  writer.countResponse(302, 0);
  assert.equal(counters.get(F.requests), 3);
  assert.equal(counters.get(F.bytes), 6);
  assert.equal(writer.lastCode, 302);
});

test('two writers keep their state apart (no module globals)', () => {
  const a = new Writer();
  const b = new Writer();
  const { res, calls } = fakeRes();
  a.withOverrides(0, null, null, true, () => b.send(res, prepare(200, null, 'z')));
  assert.deepEqual(calls, [['end', 'z']], 'b is not closing because a is');
});

test('the journal recorder sees the status the writer wrote, including a deferred answer', () => {
  const writer = new Writer();
  const journal = new Journal(10, 1024, [], 0);
  const recorder = new Recorder(journal, writer);
  writer.recorder = recorder;
  const req = {
    forEach() {}, getQuery: () => undefined, getCaseSensitiveMethod: () => 'GET', getUrl: () => '/x',
  } as unknown as HttpRequest;
  const { res } = fakeRes();
  recorder.handle(res, req, (r) => writer.send(r, prepare(418, null, 'tea')));
  const deferred = fakeRes();
  let entry = null as ReturnType<Recorder['answeringEntry']>;
  recorder.handle(deferred.res, req, () => { entry = recorder.answeringEntry(); });
  assert.notEqual(entry, null);
  recorder.answer(entry, () => writer.send(deferred.res, prepare(201, null, 'later')));
  const statuses = journal.entries().map((e) => e.status);
  assert.deepEqual(statuses.sort(), [201, 418]);
});

test('status lines: node\'s reason phrases, 499 and 529 named, any other code still a valid status line', () => {
  assert.equal(statusLine(503).toString(), '503 Service Unavailable');
  assert.equal(statusLine(499).toString(), '499 Client Closed Request');
  assert.equal(statusLine(529).toString(), '529 Site is overloaded');
  assert.match(statusLine(597).toString(), /^597 [A-Za-z ]+$/);
});

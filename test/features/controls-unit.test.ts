// Request controls in-process: a Controls over a real Writer, fed stand-in requests and responses, so
// compile/merge/cache behaviour and the 400s can be checked without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Controls } from '../../src/features/controls.js';
import type { RouteContext } from '../../src/features/context.js';
import { parseCommand, type ServerConfig } from '../../src/config/options.js';
import { parseStatusChoice } from '../../src/grammar/distribution.js';
import { workerRandom } from '../../src/grammar/random.js';
import { makeHead } from '../../src/http/head.js';
import { FillerSender } from '../../src/http/filler.js';
import { Scheduler, type Responder } from '../../src/http/scheduler.js';
import type { HttpRequest, HttpResponse } from '../../src/http/uws.js';
import { Writer } from '../../src/http/writer.js';
import { fakeRes } from '../helpers/fake-response.js';


/** A request with this query string (no '?') and these lower-case headers. */
function fakeReq(query: string, headers: Record<string, string> = {}): HttpRequest {
  return {
    // uWS 20.30 gives undefined for a URL without a query string.
    getQuery: () => (query === '' ? undefined : query),
    getHeader: (name: string | ArrayBuffer) => headers[typeof name === 'string' ? name : Buffer.from(name).toString('latin1')] ?? '',
    forEach: (cb: (k: string, v: string) => void) => { for (const [k, v] of Object.entries(headers)) cb(k, v); },
  } as unknown as HttpRequest;
}

function setup(argv: string[] = []): { controls: Controls; writer: Writer; config: ServerConfig } {
  const command = parseCommand(argv, {});
  assert.equal(command.kind, 'serve');
  const config = (command as { config: ServerConfig }).config;
  const writer = new Writer();
  const ctx = {
    config, writer, filler: new FillerSender(writer), scheduler: new Scheduler(), rng: workerRandom(1, 0),
  } as unknown as RouteContext;
  return { controls: new Controls(ctx), writer, config };
}

const Head = makeHead(200, 'text/plain');
function responder(writer: Writer): Responder & { sent: number } {
  const r = { sent: 0, send(res: HttpResponse) { r.sent++; writer.sendBody(res, Head, Buffer.from('ok')); } };
  return r;
}

// Counts URLSearchParams constructions while fn runs: the controls parse a query with two of them.
function parses(fn: () => void): number {
  const Original = globalThis.URLSearchParams;
  let n = 0;
  globalThis.URLSearchParams = class extends Original {
    constructor(init?: string) { super(init); n++; }
  } as typeof URLSearchParams;
  try {
    fn();
  } finally {
    globalThis.URLSearchParams = Original;
  }
  return n;
}

test('plain request: the responder answers as it is, nothing overridden', () => {
  const { controls, writer } = setup();
  const r = responder(writer);
  const { res, calls } = fakeRes();
  controls.respond(res, fakeReq(''), r, null, 0, 0);
  assert.equal(r.sent, 1);
  assert.deepEqual(calls, [['writeStatus', '200 OK\r\nContent-Type: text/plain'], ['end', 'ok']]);
});

test('?status=503&header=X-A:1&close=100 override the head and close the connection', () => {
  const { controls, writer } = setup();
  const { res, calls } = fakeRes();
  controls.respond(res, fakeReq('status=503&header=X-A:1&close=100'), responder(writer), null, 0, 0);
  assert.deepEqual(calls, [
    ['writeStatus', '503 Service Unavailable'],
    ['writeHeader', 'Content-Type', 'text/plain'],
    ['writeHeader', 'X-A', '1'],
    ['end', 'ok', true],
  ]);
  assert.equal(writer.lastCode, 503);
});

test('X-Mock wins over the query, control by control', () => {
  const { controls, writer } = setup();
  const { res } = fakeRes();
  controls.respond(res, fakeReq('status=503', { 'x-mock': 'status=418' }), responder(writer), null, 0, 0);
  assert.equal(writer.lastCode, 418);
});

test('a query seen before is answered from the cache; a bad one is parsed (and answered 400) each time', () => {
  const { controls, writer } = setup();
  const once = parses(() => controls.respond(fakeRes().res, fakeReq('status=404'), responder(writer), null, 0, 0));
  const again = parses(() => controls.respond(fakeRes().res, fakeReq('status=404'), responder(writer), null, 0, 0));
  assert.ok(once > 0);
  assert.equal(again, 0);
  assert.equal(writer.lastCode, 404);
  const bad1 = parses(() => controls.respond(fakeRes().res, fakeReq('status=abc'), responder(writer), null, 0, 0));
  const bad2 = parses(() => controls.respond(fakeRes().res, fakeReq('status=abc'), responder(writer), null, 0, 0));
  assert.ok(bad1 > 0 && bad2 > 0);
});

for (const [query, headers, param] of [
  ['status=abc', {}, 'status'],
  ['delay=fast', {}, 'delay'],
  ['header=Content-Length:1', {}, 'header'],
  ['', { 'x-mock': 'colour=red' }, 'X-Mock'],
  ['', { 'x-delay': 'soon' }, 'X-Delay'],
] as const) {
  test(`bad value ${query || JSON.stringify(headers)} is a 400 naming ${param}, through the writer`, () => {
    const { controls, writer } = setup();
    const r = responder(writer);
    const { res, calls } = fakeRes();
    controls.respond(res, fakeReq(query, headers), r, null, 0, 0);
    assert.equal(r.sent, 0);
    assert.equal(writer.lastCode, 400);
    assert.equal(calls[0][0], 'writeStatus');
    assert.match(String(calls[0][1]), /^400 Bad Request\r\nContent-Type: application\/json/);
    const body = JSON.parse(String(calls[calls.length - 1][1])) as { error: string; param?: string };
    assert.equal(body.param, param);
  });
}

test('merge: request > route > server defaults, field by field', () => {
  const { controls, writer } = setup(['--default-status', '500', '--default-close', '100']);
  assert.equal(controls.hasDefaults, true);
  const route = { delay: null, status: parseStatusChoice('404', 'status'), size: null, headers: [Buffer.from('X-R'), Buffer.from('r')], close: -1, fault: null };
  // The route's status beats the default; the request's header adds to the route's; the default close applies.
  const a = fakeRes();
  controls.respondRoute(a.res, fakeReq('header=X-Q:q'), responder(writer), null, route);
  assert.deepEqual(a.calls, [
    ['writeStatus', '404 Not Found'],
    ['writeHeader', 'Content-Type', 'text/plain'],
    ['writeHeader', 'X-R', 'r'],
    ['writeHeader', 'X-Q', 'q'],
    ['end', 'ok', true],
  ]);
  // The request's own status beats the route's.
  const b = fakeRes();
  controls.respondRoute(b.res, fakeReq('status=202'), responder(writer), null, route);
  assert.equal(writer.lastCode, 202);
  // A plain request to a plain route still gets the server defaults.
  const c = fakeRes();
  controls.respond(c.res, fakeReq(''), responder(writer), null, 0, 0);
  assert.equal(writer.lastCode, 500);
});

test('--no-request-controls: the query is not read, X-Delay still is', () => {
  const { controls, writer } = setup(['--no-request-controls']);
  assert.equal(controls.on, false);
  const r = responder(writer);
  controls.respond(fakeRes().res, fakeReq('status=503'), r, null, 0, 0);
  assert.equal(writer.lastCode, 200);
  const bad = fakeRes();
  controls.respond(bad.res, fakeReq('', { 'x-delay': 'soon' }), r, null, 0, 0);
  assert.equal(writer.lastCode, 400);
});

// /json/valid and /json/invalid: `{"time": "<now>"}` in Go's time.String() form (go-bench-suite). /json/valid
// is the route gateway benchmarks hammer, so its plain path reads in three files: the route cell's wrapper
// (app/app.ts: counted), the handler below, and the writer (http/writer.ts). The body is the clock's live
// buffer (http/clock.ts rewrites its digits in place), handed to uWS as a whole ArrayBuffer.
import { makeHead } from '../http/head.js';
import type { Responder } from '../http/scheduler.js';
import { anyNamed, XMock, type Controls } from './controls.js';
import type { Handler, Route, RouteContext } from './context.js';
import { XDelay } from './xdelay.js';

const JsonHead = makeHead(200, 'application/json');

/** The /json/* route table; `controls` answers requests that ask for a delay, status, size, header or close. */
export function jsonRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const { clock, writer } = ctx;
  const invalid: Responder = { send(res) { clock.refresh(); writer.sendBody(res, JsonHead, clock.invalidBytes, clock.invalidLength); } };
  return [
    { pattern: '/json/valid', about: '{"time": "<now>"} in Go time.String() form', handler: validHandler(ctx, controls) },
    { pattern: '/json/invalid', about: 'the same with deliberately invalid JSON',
      handler: (res, req) => ctx.respond(res, req, invalid, null, 0, 0) },
  ];
}

// The plain test of Controls.respond, spelled out here so that the benchmark route's plain path is this
// function and one writer call (no responder hop, one monomorphic call site). Each request header lookup is a
// call into uWS (~4 % of a pipelined request apiece) and getQuery() ~1.5 %, so what is read is handed on to
// answerControlled rather than read again.
function validHandler(ctx: RouteContext, controls: Controls): Handler {
  const { clock, writer } = ctx;
  const valid: Responder = { send(res) { clock.refresh(); writer.sendBody(res, JsonHead, clock.validBytes, clock.validLength); } };
  const on = controls.on;
  const named = controls.named;
  // Server defaults (--default-*) apply to every response: then nothing is plain.
  const plainPossible = !controls.hasDefaults;
  return (res, req) => {
    const xDelay = req.getHeader(XDelay);
    let q = '';
    let h = '';
    if (on) {
      // uWS 20.30 returns undefined, not '', for a URL without a query string (the engine type says string).
      const query = req.getQuery() as string | undefined;
      if (query !== undefined) q = query;
      h = req.getHeader(XMock);
    }
    if (plainPossible && xDelay.length === 0 && q.length === 0 && h.length === 0 && !(named && anyNamed(req))) {
      clock.refresh();
      writer.sendBody(res, JsonHead, clock.validBytes, clock.validLength);
      return;
    }
    controls.answerControlled(res, req, valid, null, 0, 0, null, xDelay, q, h);
  };
}

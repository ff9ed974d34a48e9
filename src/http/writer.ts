// The response writer of one worker: every head and body a route sends goes through one Writer, created once
// per worker (app.ts) and reached from the route context, the filler, the scheduler, the body reader and the
// error helpers. It writes bytes made at startup (head.ts) and keeps the per-response state that request
// controls (overrides), HEAD and the journal need as fields of the one object: a monomorphic method call
// costs what a module function did, and two workers (or two in-process apps) never share it.
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from './uws.js';
import type { WorkerCounters } from '../observe/counters.js';
import type { Recorder } from './recorder.js';
import { bodiless, ownBytes, QueuedBodyBytes, type Head, type LargeWriter, type Prepared } from './head.js';

const Empty = new ArrayBuffer(0);
function noReport(): void {}
const ContentLengthName = ownBytes('Content-Length');
const ConnectionName = ownBytes('Connection');
const CloseValue = ownBytes('close');
const ServerTimingName = ownBytes('Server-Timing');

/** A response writer and the state of the response being written; one per worker. */
export class Writer {
  /** Status of the last head written since it was reset to 0 (the access log and the journal read it). */
  lastCode = 0;
  /** The journal's recorder (null when --journal is off): it reads lastCode around each answer. */
  recorder: Recorder | null = null;
  /** Where exceptions contained outside route handlers are reported (contain.ts; the worker tells the main thread). */
  report: (where: string, err: Error) => void = noReport;
  // Counted per head written (null when built without counters, as in unit tests).
  private readonly counters: WorkerCounters | null;
  // Bodies over QueuedBodyBytes (null until installed: they are then ended whole).
  private largeWriter: LargeWriter | null = null;

  // Request-level overrides (status, extra headers, Connection: close), set around one synchronous
  // responder call by withOverrides(); null/false otherwise, so the plain path pays one compare each.
  private overrideStatus: Buffer | null = null;
  private overrideCode = 0;
  private overrideHeaders: readonly Buffer[] | null = null;
  // Whether the override headers carry a Content-Type (it replaces the head's rather than adding a second).
  private overrideTyped = false;
  private closeAfter = false;
  // performance.now() of the request's arrival when Server-Timing is asked (-1: not asked).
  private timedFrom = -1;
  // Any of the above set: one compare keeps the plain path to a single uWS call per head.
  private overriding = false;

  // HEAD (RFC 9110 9.3.2): GET's status and headers, Content-Length of GET's body, no body bytes. uWS's end()
  // writes the body whatever the method, and this build's endWithoutBody(length) leaves the response pending
  // (it waits for `length` body bytes), so a HEAD ends with our own Content-Length header and endWithoutBody().
  // The HEAD handler of a shape (see headHandler) sets headNow around the synchronous call; a HEAD deferred
  // past its handler (delay, X-Delay, drip) is remembered by its res. anyHead is the one compare GET pays.
  private headNow = false;
  private deferredHeads = 0;
  private readonly heads = new WeakSet<HttpResponse>();
  private anyHead = false;

  /** counters: this worker's; every head written is counted with its status and body bytes. */
  constructor(counters: WorkerCounters | null = null) {
    this.counters = counters;
  }

  /** Install this worker's writer of large bodies (FillerSender.streamBody). Until then they are ended whole. */
  useLargeWriter(w: LargeWriter): void {
    this.largeWriter = w;
  }

  /**
   * Overrides applied by every write in `fn` (which must be synchronous). Used by request controls.
   * timedFrom >= 0: the head also carries `Server-Timing: upstream;dur=<ms since timedFrom>`.
   */
  withOverrides(code: number, status: Buffer | null, headers: readonly Buffer[] | null, close: boolean, fn: () => void, timedFrom = -1): void {
    this.overrideCode = code;
    this.overrideStatus = status;
    this.overrideHeaders = headers;
    this.overrideTyped = headers !== null && headers.some((h, i) => i % 2 === 0 && h.length === 12 && h.toString('latin1').toLowerCase() === 'content-type');
    this.closeAfter = close;
    this.timedFrom = timedFrom;
    this.overriding = true;
    try {
      fn();
    } finally {
      this.overrideCode = 0;
      this.overrideStatus = null;
      this.overrideHeaders = null;
      this.overrideTyped = false;
      this.closeAfter = false;
      this.timedFrom = -1;
      this.overriding = false;
    }
  }

  /**
   * The handler uWS calls for HEAD on a shape: `inner` (the shape's GET handler) with every write made
   * bodiless. `yields`: whether the shape's handler currently hands the request on (then HEAD must too,
   * unmarked, so the route that answers marks it itself).
   */
  headHandler(inner: (res: HttpResponse, req: HttpRequest) => void, yields: () => boolean): (res: HttpResponse, req: HttpRequest) => void {
    return (res, req) => {
      if (yields()) {
        inner(res, req);
        return;
      }
      this.headNow = true;
      this.anyHead = true;
      try {
        inner(res, req);
      } finally {
        // Still set: the response was deferred (or is streaming its answer later); remember it by res.
        if (this.headNow) {
          this.headNow = false;
          this.heads.add(res);
          this.deferredHeads++;
        }
        this.anyHead = this.deferredHeads !== 0;
      }
    };
  }

  /** Deferred HEAD responses still marked (read by tests: it must drop back to 0 once they are over). */
  get pendingHeads(): number {
    return this.deferredHeads;
  }

  /**
   * Unmark `res` as a deferred HEAD: its response is over without endHead (the client left, a fault answered it,
   * an error closed it). Without this a HEAD stays marked for good and every GET pays the WeakSet lookup.
   */
  forgetHead(res: HttpResponse): void {
    if (this.deferredHeads !== 0 && this.heads.delete(res)) {
      this.deferredHeads--;
      this.anyHead = this.headNow || this.deferredHeads !== 0;
    }
  }

  /**
   * A HEAD `res` was answered without endHead (a fault wrote it raw): the handler's current HEAD, or a deferred one.
   * Call it only for a response that isHead() said is a HEAD.
   */
  headAnswered(res: HttpResponse): void {
    if (this.headNow) this.headNow = false;
    else if (this.heads.delete(res)) this.deferredHeads--;
    this.anyHead = this.headNow || this.deferredHeads !== 0;
  }

  /** Whether `res` answers a HEAD request (its writer must then end it with endHead, sending no body). */
  isHead(res: HttpResponse): boolean {
    return this.anyHead && (this.headNow || (this.deferredHeads !== 0 && this.heads.has(res)));
  }

  /**
   * End a HEAD response whose head was just written: Content-Length `length` (the GET body's), or
   * `Transfer-Encoding: chunked` when `length` is negative (a chunked GET), and no body bytes.
   */
  endHead(res: HttpResponse, length: number): void {
    this.headAnswered(res);
    if (!bodiless(this.lastCode)) {
      if (length < 0) res.writeHeader('Transfer-Encoding', 'chunked');
      else res.writeHeader(ContentLengthName, String(length));
    }
    if (this.closeAfter) res.writeHeader(ConnectionName, CloseValue);
    res.endWithoutBody();
  }

  /** Count a response written without writeHead (redirects, drips). */
  countResponse(code: number, bytes: number): void {
    this.lastCode = code;
    if (this.counters !== null) this.counters.count(code, bytes);
  }

  /** Write status and headers and count the response (bodyBytes: what the caller will send). Must run corked. */
  writeHead(res: HttpResponse, head: Head, bodyBytes: number): void {
    if (this.overriding) {
      this.writeOverridden(res, head, bodyBytes);
      return;
    }
    this.lastCode = head.code;
    if (this.counters !== null) this.counters.count(head.code, bodyBytes);
    if (head.line !== null) res.writeStatus(head.line);
  }

  // A head under request controls: another status and/or extra headers, written piece by piece.
  private writeOverridden(res: HttpResponse, head: Head, bodyBytes: number): void {
    const code = this.overrideCode === 0 ? head.code : this.overrideCode;
    this.lastCode = code;
    if (this.counters !== null) this.counters.count(code, bodyBytes);
    const status = this.overrideStatus ?? head.status;
    if (status !== null) res.writeStatus(status);
    const h = head.headers;
    for (let i = this.overrideTyped && head.typed ? 2 : 0; i < h.length; i += 2) res.writeHeader(h[i], h[i + 1]);
    const x = this.overrideHeaders;
    if (x !== null) {
      for (let i = 0; i < x.length; i += 2) res.writeHeader(x[i], x[i + 1]);
    }
    // Asked for, so a string per response is fine: two decimals of a millisecond.
    if (this.timedFrom >= 0) res.writeHeader(ServerTimingName, `upstream;dur=${(performance.now() - this.timedFrom).toFixed(2)}`);
  }

  /** Send a precomputed response. Must run corked (inside the handler or a cork callback). */
  send(res: HttpResponse, p: Prepared): void {
    const n = p.body.byteLength;
    this.writeHead(res, p, n);
    this.end(res, p.body, n);
  }

  /**
   * Send a head with a body chosen per request (a clock buffer, a cached view). Must run corked. Pass
   * byteLength for an ArrayBuffer body on a hot path: V8 calls a builtin for ArrayBuffer's byteLength getter.
   */
  sendBody(res: HttpResponse, head: Head, body: Uint8Array | ArrayBuffer, byteLength = body.byteLength): void {
    this.writeHead(res, head, byteLength);
    this.end(res, body, byteLength);
  }

  /** End a response whose head was just written with a small body (filler, payload). Must run corked. */
  finish(res: HttpResponse, body: Uint8Array | ArrayBuffer): void {
    this.end(res, body, body.byteLength);
  }

  /** Whether the head just written was a 204 or 304, so a streamed body must not follow. */
  headForbidsBody(): boolean {
    return bodiless(this.lastCode);
  }

  /** An empty response with Content-Length: 0. Must run corked. */
  sendEmpty(res: HttpResponse, head: Head): void {
    this.writeHead(res, head, 0);
    this.end(res, Empty, 0);
  }

  /** End a response with no body (Content-Length: 0), or its HEAD. Must run corked, after its head. */
  endEmpty(res: HttpResponse): void {
    this.end(res, Empty, 0);
  }

  /** Whether the current response should close its connection (for writers that end it themselves). */
  closing(): boolean {
    return this.closeAfter;
  }

  // The boolean argument costs a conversion per call: pass it only when closing. A 204 or 304 (a status
  // control, a configured route) drops the body and writes no Content-Length: a body after either would be
  // read as the start of the next response and break the keep-alive connection.
  private end(res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number): void {
    if (this.anyHead && this.isHead(res)) this.endHead(res, length);
    else if (bodiless(this.lastCode)) this.endBodiless(res);
    else if (length > QueuedBodyBytes) this.endLarge(res, body, length);
    else if (this.closeAfter) res.end(body, true);
    else res.end(body);
  }

  private endLarge(res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number): void {
    if (this.largeWriter !== null) this.largeWriter(res, body, length);
    else if (this.closeAfter) res.end(body, true);
    else res.end(body);
  }

  // This uWS build aborts the process on endWithoutBody(undefined, true); and with a length it writes
  // Content-Length, so that form is kept for the closing case only (a "Content-Length: 0" is harmless there).
  private endBodiless(res: HttpResponse): void {
    if (this.closeAfter) res.endWithoutBody(0, true);
    else res.endWithoutBody();
  }
}

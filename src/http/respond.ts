// The one place that writes bytes to a response. Everything it writes was made into bytes at startup,
// because uWS copies and UTF-8-converts every JS string on each call but takes bytes by pointer. The
// hot ones are whole ArrayBuffers rather than Buffers: for a view uWS must first resolve its buffer and
// take a reference to its backing store (perf: GetBackingStore + JSTypedArray::GetBuffer ~6.5 % of a
// pipelined /json/valid profile); the bare uWS server in bench/ went from ~650k to ~770k req/s with it.
import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from './uws.js';
import type { WorkerCounters } from '../observe/counters.js';

/** A precomputed status line and header set (names and values alternate), plus an optional fixed body. */
export interface Head {
  readonly code: number;
  /** null for 200: uWS writes "200 OK" itself, one call fewer. */
  readonly status: Buffer | null;
  /** Content-Type first (when typed), then the extra headers: names and values alternate. */
  readonly headers: readonly ArrayBuffer[];
  readonly typed: boolean;
  /**
   * The status line and every header line in one buffer ("200 OK\r\nContent-Type: ..."), written with one
   * writeStatus call: uWS writes it between "HTTP/1.1 " and "\r\n" as given, and each call into uWS costs
   * (a header is ~1 % of pipelined /json/valid). null for a bare 200: uWS writes "200 OK" itself.
   */
  readonly line: ArrayBuffer | null;
}

/** A complete precomputed response. */
export interface Prepared extends Head {
  readonly body: ArrayBuffer;
}

/** A copy of `data` in an ArrayBuffer of its own (see the top of this file). */
export function ownBytes(data: string | Uint8Array): ArrayBuffer {
  const src = typeof data === 'string' ? Buffer.from(data) : data;
  const out = new ArrayBuffer(src.byteLength);
  new Uint8Array(out).set(src);
  return out;
}

/** Build a Head at startup; header values are written exactly as given. */
export function makeHead(code: number, contentType: string | null, extra: readonly (readonly [string, string])[] = []): Head {
  const headers: ArrayBuffer[] = [];
  if (contentType !== null) headers.push(ownBytes('Content-Type'), ownBytes(contentType));
  for (const [name, value] of extra) headers.push(ownBytes(name), ownBytes(value));
  const lines = [statusText(code)];
  if (contentType !== null) lines.push(`Content-Type: ${contentType}`);
  for (const [name, value] of extra) lines.push(`${name}: ${value}`);
  const line = code === 200 && lines.length === 1 ? null : ownBytes(lines.join('\r\n'));
  // Not frozen: V8 does not inline element loads from a frozen array (a KeyedLoadIC call per header).
  return { code, status: code === 200 ? null : statusLine(code), headers, typed: contentType !== null, line };
}

/** Build a Prepared response at startup. */
export function prepare(code: number, contentType: string | null, body: string | Buffer, extra: readonly (readonly [string, string])[] = []): Prepared {
  return { ...makeHead(code, contentType, extra), body: ownBytes(body) };
}

/** "503 Service Unavailable" as a Buffer; unknown codes get a generic reason. */
export function statusLine(code: number): Buffer {
  return Buffer.from(statusText(code));
}

function statusText(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? 'Status'}`;
}

const Empty = new ArrayBuffer(0);

/**
 * Bodies up to this size are ended with one end(); larger ones go to the large writer (tryEnd with
 * onWritable backpressure). end() is a write uWS must take: when the client does not read, it queues the
 * whole response, and pipelined requests keep coming, so a non-reading client could grow memory without
 * bound (176 KB of pipelined GET /size/16KB queued 80 MB). tryEnd writes nothing while the socket holds
 * unsent bytes, the response stays pending and uWS reads no further request from that connection: one
 * connection then holds at most a head and the kernel's buffer. A small body is bounded by the request
 * that asked for it (a ~30-byte GET /json gets ~150 bytes). 8 KB, not less: at 1 KB a pipelining client that
 * reads (/size/4KB ×64 per write) went through tryEnd's stalls often enough to halve the worker's throughput
 * (the saturation test's load no longer saturated it); at 8 KB it saturates as before.
 */
export const QueuedBodyBytes = 8 * 1024;

/** Writes a body over QueuedBodyBytes with backpressure after its head (see useLargeWriter). */
export type LargeWriter = (res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number) => void;

let largeWriter: LargeWriter = (res, body) => {
  if (closeAfter) res.end(body, true);
  else res.end(body);
};

/** Install this thread's writer of large bodies (FillerSender.streamBody). Until then they are ended whole. */
export function useLargeWriter(w: LargeWriter): void {
  largeWriter = w;
}

// Request-level overrides (status, extra headers, Connection: close). Set around one synchronous
// responder call by withOverrides(); null/false otherwise, so the plain path pays one compare each.
let overrideStatus: Buffer | null = null;
let overrideCode = 0;
let overrideHeaders: readonly Buffer[] | null = null;
// Whether the override headers carry a Content-Type (it replaces the head's rather than adding a second).
let overrideTyped = false;
let closeAfter = false;
// Any of the above set: one compare keeps the plain path to a single uWS call per head.
let overriding = false;

/** Overrides applied by every write in `fn` (which must be synchronous). Used by request controls. */
export function withOverrides(code: number, status: Buffer | null, headers: readonly Buffer[] | null, close: boolean, fn: () => void): void {
  overrideCode = code;
  overrideStatus = status;
  overrideHeaders = headers;
  overrideTyped = headers !== null && headers.some((h, i) => i % 2 === 0 && h.length === 12 && h.toString('latin1').toLowerCase() === 'content-type');
  closeAfter = close;
  overriding = true;
  try {
    fn();
  } finally {
    overrideCode = 0;
    overrideStatus = null;
    overrideHeaders = null;
    overrideTyped = false;
    closeAfter = false;
    overriding = false;
  }
}

// HEAD (RFC 9110 9.3.2): GET's status and headers, Content-Length of GET's body, no body bytes. uWS's end()
// writes the body whatever the method, and this build's endWithoutBody(length) leaves the response pending
// (it waits for `length` body bytes), so a HEAD ends with our own Content-Length header and endWithoutBody().
// The HEAD handler of a shape (registered beside its `any`, see headHandler) sets headNow around the
// synchronous call; a HEAD deferred past its handler (delay, X-Delay, drip) is remembered by its res.
// anyHead is the one compare the GET path pays.
let headNow = false;
let deferredHeads = 0;
const heads = new WeakSet<HttpResponse>();
let anyHead = false;
const ContentLengthName = ownBytes('Content-Length');
const ConnectionName = ownBytes('Connection');
const CloseValue = ownBytes('close');

/**
 * The handler uWS calls for HEAD on a shape: `inner` (the shape's GET handler) with every write made
 * bodiless. `yields`: whether the shape's handler currently hands the request on (then HEAD must too,
 * unmarked, so the route that answers marks it itself).
 */
export function headHandler(inner: (res: HttpResponse, req: HttpRequest) => void, yields: () => boolean): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    if (yields()) {
      inner(res, req);
      return;
    }
    headNow = true;
    anyHead = true;
    try {
      inner(res, req);
    } finally {
      // Still set: the response was deferred (or is streaming its answer later); remember it by res.
      if (headNow) {
        headNow = false;
        heads.add(res);
        deferredHeads++;
      }
      anyHead = deferredHeads !== 0;
    }
  }
}

/** Whether `res` answers a HEAD request (its writer must then end it with endHead, sending no body). */
export function isHead(res: HttpResponse): boolean {
  return anyHead && (headNow || (deferredHeads !== 0 && heads.has(res)));
}

/**
 * End a HEAD response whose head was just written: Content-Length `length` (the GET body's), or
 * `Transfer-Encoding: chunked` when `length` is negative (a chunked GET), and no body bytes.
 */
export function endHead(res: HttpResponse, length: number): void {
  if (headNow) headNow = false;
  else if (heads.delete(res)) deferredHeads--;
  anyHead = headNow || deferredHeads !== 0;
  if (!bodiless(lastCode)) {
    if (length < 0) res.writeHeader('Transfer-Encoding', 'chunked');
    else res.writeHeader(ContentLengthName, String(length));
  }
  if (closeAfter) res.writeHeader(ConnectionName, CloseValue);
  res.endWithoutBody();
}

let counters: WorkerCounters | null = null;
let lastCode = 0;

/** Status of the last head written since resetLastCode() (0: none); the access log and journal read it after a write. */
export function peekLastCode(): number {
  return lastCode;
}

/** Forget the last status, before a handler or deferred write whose status is wanted. */
export function resetLastCode(): void {
  lastCode = 0;
}

/** Install this worker's counters: every head written from now on is counted. */
export function useCounters(c: WorkerCounters | null): void {
  counters = c;
}

/** Count a response written without writeHead (redirects, drips). */
export function countResponse(code: number, bytes: number): void {
  lastCode = code;
  if (counters !== null) counters.count(code, bytes);
}

/** Write status and headers and count the response (bodyBytes: what the caller will send). Must run corked. */
export function writeHead(res: HttpResponse, head: Head, bodyBytes: number): void {
  if (overriding) {
    writeOverridden(res, head, bodyBytes);
    return;
  }
  lastCode = head.code;
  if (counters !== null) counters.count(head.code, bodyBytes);
  if (head.line !== null) res.writeStatus(head.line);
}

// A head under request controls: another status and/or extra headers, written piece by piece.
function writeOverridden(res: HttpResponse, head: Head, bodyBytes: number): void {
  lastCode = overrideCode === 0 ? head.code : overrideCode;
  if (counters !== null) counters.count(lastCode, bodyBytes);
  const status = overrideStatus ?? head.status;
  if (status !== null) res.writeStatus(status);
  const h = head.headers;
  for (let i = overrideTyped && head.typed ? 2 : 0; i < h.length; i += 2) res.writeHeader(h[i], h[i + 1]);
  if (overrideHeaders !== null) {
    const x = overrideHeaders;
    for (let i = 0; i < x.length; i += 2) res.writeHeader(x[i], x[i + 1]);
  }
}

/** Send a precomputed response. Must run corked (inside the handler or a cork callback). */
export function send(res: HttpResponse, p: Prepared): void {
  const n = p.body.byteLength;
  writeHead(res, p, n);
  end(res, p.body, n);
}

/**
 * Send a head with a body chosen per request (a clock buffer, a cached view). Must run corked. Pass
 * byteLength for an ArrayBuffer body on a hot path: V8 calls a builtin for ArrayBuffer's byteLength getter.
 */
export function sendBody(res: HttpResponse, head: Head, body: Uint8Array | ArrayBuffer, byteLength = body.byteLength): void {
  writeHead(res, head, byteLength);
  end(res, body, byteLength);
}

/** Whether responses with this status carry no body and no Content-Length (RFC 9110: 204 and 304). */
export function bodiless(code: number): boolean {
  return code === 204 || code === 304;
}

// The boolean argument costs a conversion per call: pass it only when closing. A 204 or 304 (a status
// control, a configured route) drops the body and writes no Content-Length: a body after either would be
// read as the start of the next response and break the keep-alive connection.
function end(res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number): void {
  if (anyHead && isHead(res)) endHead(res, length);
  else if (bodiless(lastCode)) endBodiless(res);
  else if (length > QueuedBodyBytes) largeWriter(res, body, length);
  else if (closeAfter) res.end(body, true);
  else res.end(body);
}

// This uWS build aborts the process on endWithoutBody(undefined, true); and with a length it writes
// Content-Length, so that form is kept for the closing case only (a "Content-Length: 0" is harmless there).
function endBodiless(res: HttpResponse): void {
  if (closeAfter) res.endWithoutBody(0, true);
  else res.endWithoutBody();
}

/** End a response whose head was just written with a small body (filler, payload). Must run corked. */
export function finish(res: HttpResponse, body: Uint8Array | ArrayBuffer): void {
  end(res, body, body.byteLength);
}

/** Whether the head just written was a 204 or 304, so a streamed body must not follow. */
export function headForbidsBody(): boolean {
  return bodiless(lastCode);
}

/** An empty response with Content-Length: 0. Must run corked. */
export function sendEmpty(res: HttpResponse, head: Head): void {
  writeHead(res, head, 0);
  end(res, Empty, 0);
}

/** End a response with no body (Content-Length: 0), or its HEAD. Must run corked, after its head. */
export function endEmpty(res: HttpResponse): void {
  end(res, Empty, 0);
}

/** Whether the current response should close its connection (for writers that end it themselves). */
export function closing(): boolean {
  return closeAfter;
}

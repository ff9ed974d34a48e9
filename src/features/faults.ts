// The `fault` control served (grammar: grammar/fault.ts; what each does on the wire: docs/faults.md). A
// fault replaces a response: the route's own answer is first written into a Capture (synchronously, through
// the writer, so status, headers and counters are the route's), then sent broken. Faults are the slow path:
// they allocate per response; a request without one never reaches this module.
//
// Three engines, three ways to break a connection:
// - native uWS 20.30: res.close() sends a FIN (measured: no SO_LINGER, no forced close in its JS API), raw
//   bytes go out through writeStatus (uWS prefixes "HTTP/1.1 " and appends CRLF) and are flushed by the
//   cork they were written in, so the close comes from a task, after the flush;
// - portable (node:http): the response hands over its socket: resetAndDestroy() is a real RST;
// - HTTP/2 (--h2-port): a fault is a RST_STREAM on the one stream; the session goes on.
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Bytes, EngineResponse, WsContext } from '../http/engine.js';
import type { HttpResponse } from '../http/uws.js';
import { Scheduler, type Task } from '../http/scheduler.js';
import type { Writer } from '../http/writer.js';
import { answersNothing, K, type Fault } from '../grammar/fault.js';
import { formatSize } from '../grammar/size.js';
import { sendError } from '../http/errors.js';
import type { WorkerCounters } from '../observe/counters.js';

// RST_STREAM codes (RFC 9113 7).
const ProtocolError = 0x1;
const InternalError = 0x2;
const Cancel = 0x8;

/** Random bytes a `garbage` fault sends before closing. */
export const GarbageBytes = 64;
/** How often a slow body sends its next piece (a slower rate waits longer, one byte a time). */
const BodyTickMs = 100;
/** A whole body larger than this is sent in pieces of this size, each when the socket takes it (endWhole). */
const WholePieceBytes = 256 * 1024;
/** Length of one big-headers padding header's value. */
const PadValueBytes = 4000;
const Crlf = '\r\n';
const EmptyBody = Buffer.alloc(0);
/**
 * Most body bytes a Capture keeps: a faulted or trailered response is held in memory for as long as it is being
 * sent (slow-body(1) on a large body: for the life of the connection), and some faults send it whole. Over it
 * the response is refused with a 400 (docs/faults.md).
 */
export const MaxCapturedBodyBytes = 16 * 1024 * 1024;
/** Body chunks up to this size are copied into a capture (see Capture.add). */
const CopyUpTo = 16 * 1024;

/** A response written into memory: what a route would have sent, for a fault to send broken. */
export class Capture implements EngineResponse {
  /** The status line and any header lines given with it ("200 OK\r\nContent-Type: text/plain"). */
  status = '200 OK';
  /** Header lines ("Name: value"), framing headers left out. */
  readonly lines: string[] = [];
  /** The body's length as declared (HEAD: the GET body's Content-Length; -1 when unknown). */
  length = -1;
  /** Whether the route's answer asked for `Connection: close` (the close control). */
  closes = false;
  /** The body was over MaxCapturedBodyBytes: not kept (body empty, length its size); the caller refuses it. */
  overflow = false;
  // The body as its parts, joined only when a fault sends it whole: large chunks are views of the filler or a
  // payload, and slow-body, truncate and malformed-chunk take their pieces from the parts.
  private parts: Buffer[] = [];
  private joined: Buffer | null = null;
  private offset = 0;

  /** The body as written, in one buffer (HEAD: empty). */
  get body(): Buffer {
    if (this.joined === null) this.joined = this.parts.length === 0 ? EmptyBody : this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.offset);
    return this.joined;
  }
  set body(b: Buffer) {
    this.parts = [b];
    this.joined = b;
    this.offset = b.length;
  }

  /** Body bytes written. */
  get size(): number {
    return this.offset;
  }

  /** Body bytes [start, end), copied from the parts they span (not the whole body). */
  slice(start: number, end: number): Buffer {
    if (this.joined !== null) return this.joined.subarray(start, end);
    const out: Buffer[] = [];
    let at = 0;
    for (const p of this.parts) {
      const next = at + p.length;
      if (next > start && at < end) out.push(p.subarray(Math.max(0, start - at), Math.min(p.length, end - at)));
      if (next >= end) break;
      at = next;
    }
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  writeStatus(status: Bytes): this {
    this.status = text(status);
    return this;
  }
  writeHeader(name: Bytes, value: Bytes): this {
    const n = text(name);
    const lower = n.toLowerCase();
    if (lower === 'content-length') this.length = Number(text(value));
    else if (lower === 'connection') this.closes = text(value).toLowerCase() === 'close';
    else if (lower !== 'transfer-encoding') this.lines.push(`${n}: ${text(value)}`);
    return this;
  }
  write(chunk: Bytes): boolean {
    this.add(chunk);
    return true;
  }
  end(body?: Bytes, closeConnection?: boolean): this {
    if (body !== undefined) this.add(body);
    if (closeConnection === true) this.closes = true;
    this.done();
    return this;
  }
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): this {
    if (reportedContentLength !== undefined) this.length = reportedContentLength;
    if (closeConnection === true) this.closes = true;
    this.done();
    return this;
  }
  tryEnd(chunk: Bytes, totalSize: number): [boolean, boolean] {
    this.add(chunk);
    const complete = this.offset >= totalSize;
    if (complete) this.done();
    return [true, complete];
  }
  getWriteOffset(): number {
    return this.offset;
  }
  onWritable(): this {
    return this;
  }
  onAborted(): this {
    return this;
  }
  onData(): this {
    return this;
  }
  cork(cb: () => void): this {
    cb();
    return this;
  }
  close(): this {
    return this;
  }
  getRemoteAddressAsText(): ArrayBuffer {
    return new ArrayBuffer(0);
  }
  getProxiedRemoteAddressAsText(): ArrayBuffer {
    return new ArrayBuffer(0);
  }
  upgrade<U>(_u: U, _k: Bytes, _p: Bytes, _e: Bytes, _c: WsContext): void {
    throw new Error('a fault cannot upgrade');
  }

  /** The head as one text: status line, header lines and `extra` lines, without the blank line. */
  head(extra: readonly string[]): string {
    const all = [this.status, ...this.lines, ...extra];
    return all.join(Crlf);
  }

  private add(chunk: Bytes): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof ArrayBuffer ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.offset += b.byteLength;
    if (this.overflow || this.offset > MaxCapturedBodyBytes) {
      this.overflow = true;
      this.parts = [];
      this.joined = null;
      return;
    }
    // Small bodies are copied: the writer reuses them (the clock body is rewritten in place). Larger ones are views of
    // immutable buffers (the filler, payloads), kept by reference as the portable engine keeps them (CopyUpTo there).
    this.parts.push(b.byteLength <= CopyUpTo ? Buffer.from(b) : b);
  }

  private done(): void {
    if (this.length < 0) this.length = this.offset;
  }
}

function text(b: Bytes): string {
  if (typeof b === 'string') return b;
  const v = b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return v.toString('latin1');
}

// The engine-specific surfaces, found by duck typing so this module loads neither engine.
interface PortableSurface {
  takeSocket(): Socket;
}
interface H2Surface {
  resetStream(code: number): void;
}
const Native = 0;
const Portable = 1;
const H2 = 2;
function engineOf(res: EngineResponse): number {
  if (typeof (res as unknown as Partial<H2Surface>).resetStream === 'function') return H2;
  if (typeof (res as unknown as Partial<PortableSurface>).takeSocket === 'function') return Portable;
  return Native;
}

/** One faulted response in progress (a hang, a close after a flush, a paced head or body). */
class Faulted {
  aborted = false;
  slot = -1;
  step = 0;
  socket: Socket | null = null;
  /** Pieces of a slow head still to send (raw text on the portable engine, header lines on native). */
  pieces: string[] = [];
  readonly abort = (): void => {
    this.aborted = true;
    this.owner.cancel(this);
  };
  /** The body goes out whole (not paced): the writable handler sends its next piece at once. */
  whole = false;
  readonly writable = (): boolean => {
    if (this.aborted) return true;
    // A whole body: the socket drained, the next pieces go now. A paced one: the next tick goes on pacing (never
    // a burst to catch up).
    if (this.whole) this.owner.wholePiece(this);
    else if (this.slot < 0) this.owner.next(this, BodyTickMs);
    return true;
  };
  constructor(
    readonly owner: Faults, readonly res: HttpResponse, readonly engine: number, readonly fault: Fault, readonly cap: Capture | null, readonly head: boolean,
  ) {}
}

/** The fault a plain close after a flush stands for (closeAfterFlush): an empty answer's close. */
const Closing: Fault = { kind: K.empty, text: 'close', arg: 0 };

// What a task does when it is due.
const CloseNow = 0;
const HeaderPiece = 1;
const BodyPiece = 2;
const WholeHead = 3;

/** Per-worker fault server: one task scheduler for every hang, paced head and paced body. */
export class Faults implements Task {
  private readonly tasks = new Scheduler(64);

  constructor(private readonly writer: Writer, private readonly counters: WorkerCounters | null, private readonly maxDelayMs: number) {}

  /**
   * Answer `res` with `fault` instead of its response. `answer` writes the route's response into the response it
   * is given, synchronously (under the request's other controls). Must run corked: in the handler or a cork.
   */
  serve(res: HttpResponse, fault: Fault, answer: (into: HttpResponse) => void): void {
    this.counters?.fault(fault.kind);
    const entry = this.writer.recorder?.answeringEntry() ?? null;
    if (entry !== null) entry.fault = fault.text;
    const engine = engineOf(res);
    const kind = fault.kind;
    // The fault answers a HEAD itself (never through endHead): unmark it, else the writer keeps it as a pending
    // HEAD for good and every GET pays its slow check.
    const head = this.writer.isHead(res);
    if (answersNothing(kind)) {
      if (head) this.writer.headAnswered(res);
      this.bare(res, engine, fault);
      return;
    }
    const cap = new Capture();
    answer(cap as unknown as HttpResponse);
    // The writer wrote the capture as a GET (a deferred HEAD is marked by its res, not the capture's) or ended
    // it with endHead (the handler's own HEAD): either way the capture holds the GET's length and no body is sent.
    if (head) {
      this.writer.headAnswered(res);
      cap.body = EmptyBody;
    } else if (cap.overflow) {
      refuseOverflow(this.writer, res, cap, 'fault');
      return;
    }
    const f = new Faulted(this, res, engine, fault, cap, head);
    if (kind === K.truncate || kind === K.malformedChunk) this.broken(f);
    else if (kind === K.slowHeaders) this.slowHead(f);
    else if (kind === K.slowBody) this.slowBody(f);
    else this.bigHeaders(f);
  }

  // reset, empty, garbage, hang: nothing of the route's answer is sent.
  private bare(res: HttpResponse, engine: number, fault: Fault): void {
    const kind = fault.kind;
    if (engine === H2) {
      const h2 = res as unknown as H2Surface;
      if (kind === K.hang) this.hang(new Faulted(this, res, engine, fault, null, false));
      else h2.resetStream(kind === K.reset ? InternalError : kind === K.empty ? Cancel : ProtocolError);
      return;
    }
    if (engine === Portable) {
      const f = new Faulted(this, res, engine, fault, null, false);
      res.onAborted(f.abort);
      const socket = (res as unknown as PortableSurface).takeSocket();
      f.socket = socket;
      if (kind === K.reset) socket.resetAndDestroy();
      else if (kind === K.empty) socket.destroy();
      else if (kind === K.garbage) socket.end(garbage());
      else this.hang(f);
      return;
    }
    // Native: uWS's close() is a FIN (docs/faults.md); garbage follows the "HTTP/1.1 " uWS prefixes to any write.
    if (kind === K.reset || kind === K.empty) {
      res.close();
      return;
    }
    const f = new Faulted(this, res, engine, fault, null, false);
    res.onAborted(f.abort);
    if (kind === K.garbage) {
      res.writeStatus(garbage());
      this.at(f, 0, CloseNow);
    } else {
      this.hang(f);
    }
  }

  // Until the client leaves (onAborted) or --max-delay, then the connection (HTTP/2: the stream) is dropped.
  private hang(f: Faulted): void {
    if (f.engine !== Portable) f.res.onAborted(f.abort);
    this.at(f, this.maxDelayMs, CloseNow);
  }

  // truncate, malformed-chunk: a head and part of the body (or a broken chunk), then the close.
  private broken(f: Faulted): void {
    const cap = f.cap as Capture;
    const truncate = f.fault.kind === K.truncate;
    const n = Math.min(f.fault.arg, cap.size);
    if (f.engine === H2) {
      // HTTP/2 has no chunked framing: the head, part of the body, then RST_STREAM.
      f.res.onAborted(f.abort);
      f.res.writeStatus(cap.head([`Content-Length: ${cap.length}`]));
      if (truncate ? n > 0 : cap.size > 0) f.res.write(cap.slice(0, truncate ? n : cap.size >> 1));
      this.at(f, 0, CloseNow);
      return;
    }
    // Native truncate writes no raw text (see below); the other cases send `wire` as it is.
    let wire = '';
    if (truncate) {
      if (f.engine === Portable) wire = `${cap.head([`Content-Length: ${cap.length}`])}${Crlf}${Crlf}${cap.slice(0, n).toString('latin1')}`;
    } else {
      // One good chunk (half the body), then a chunk-size line that is not hexadecimal.
      const half = f.head ? '' : cap.slice(0, cap.size >> 1).toString('latin1');
      const first = half.length === 0 ? '' : `${half.length.toString(16)}${Crlf}${half}${Crlf}`;
      wire = `${cap.head(['Transfer-Encoding: chunked'])}${Crlf}${Crlf}${first}zz${Crlf}oops`;
    }
    if (f.engine === Portable) {
      f.res.onAborted(f.abort);
      f.socket = (f.res as unknown as PortableSurface).takeSocket();
      f.socket.end(Buffer.from(`HTTP/1.1 ${wire}`, 'latin1'));
      return;
    }
    f.res.onAborted(f.abort);
    if (truncate) {
      // Native: the head's lines through writeStatus, then tryEnd(N bytes, full length): uWS declares the full
      // Content-Length and sends exactly N body bytes (a raw write would end in uWS's CRLF).
      f.res.writeStatus(Buffer.from(cap.head([]), 'latin1'));
      f.res.tryEnd(cap.slice(0, n), cap.length);
    } else {
      f.res.writeStatus(Buffer.from(wire, 'latin1'));
    }
    this.at(f, 0, CloseNow);
  }

  // slow-headers(D): the head's lines spread over D, then the body (native: its header lines written one by one;
  // portable: raw pieces on the socket, then it closes; HTTP/2: HEADERS cannot be split, so the whole head at D).
  private slowHead(f: Faulted): void {
    const cap = f.cap as Capture;
    f.res.onAborted(f.abort);
    const d = f.fault.arg;
    if (f.engine === H2) {
      this.at(f, d, WholeHead);
      return;
    }
    const statusLines = cap.status.split(Crlf);
    const lines = [...statusLines.slice(1), ...cap.lines];
    if (f.engine === Portable) {
      f.socket = (f.res as unknown as PortableSurface).takeSocket();
      f.socket.write(`HTTP/1.1 ${statusLines[0]}${Crlf}`);
      f.pieces = [...lines.map((l) => `${l}${Crlf}`), `Content-Length: ${cap.length}${Crlf}Connection: close${Crlf}${Crlf}`];
    } else {
      f.res.writeStatus(statusLines[0]);
      f.pieces = lines;
    }
    f.step = 0;
    this.at(f, d / (f.pieces.length + 1), HeaderPiece);
  }

  // slow-body(RATE): the head now, the body at RATE bytes per second through tryEnd, waiting out backpressure.
  private slowBody(f: Faulted): void {
    const cap = f.cap as Capture;
    f.res.onAborted(f.abort);
    f.res.writeStatus(cap.head([]));
    if (f.head || cap.size === 0) {
      this.endWhole(f);
      return;
    }
    f.res.onWritable(f.writable);
    this.bodyPiece(f);
  }

  // big-headers(SIZE): padding headers until the head is SIZE bytes, then the response as the route made it.
  private bigHeaders(f: Faulted): void {
    const cap = f.cap as Capture;
    const pads: string[] = [];
    let size = cap.head([]).length;
    for (let i = 0; size < f.fault.arg; i++) {
      const name = `X-Pad-${i}: `;
      const room = Math.max(1, Math.min(PadValueBytes, f.fault.arg - size - name.length - 2));
      pads.push(`${name}${'a'.repeat(room)}`);
      size += name.length + room + 2;
    }
    f.res.writeStatus(cap.head(pads));
    this.endWhole(f);
  }

  /** A due task (Task): the next step of a faulted response. */
  run(arg: object, what: number): void {
    const f = arg as Faulted;
    f.slot = -1;
    if (f.aborted) return;
    if (what === CloseNow) this.closeNow(f);
    else if (what === BodyPiece) f.res.cork(() => this.bodyPiece(f));
    else if (what === WholeHead) f.res.cork(() => { f.res.writeStatus((f.cap as Capture).head([])); this.endWhole(f); });
    else this.headerPiece(f);
  }

  /** Forget a faulted response's pending step (the client left). */
  cancel(f: Faulted): void {
    if (f.slot >= 0) this.tasks.cancel(f.slot);
    f.slot = -1;
  }

  /** Pace the next body piece in ms. */
  next(f: Faulted, ms: number): void {
    this.at(f, ms, BodyPiece);
  }

  private at(f: Faulted, ms: number, what: number): void {
    f.slot = this.tasks.scheduleTask(ms, this, f, what);
  }

  /**
   * Close a native response's connection once what this cork wrote is flushed (uWS drops bytes closed in the
   * same cork): for a raw-written response that asked for `Connection: close` (trailers.ts). Must run corked.
   */
  closeAfterFlush(res: HttpResponse): void {
    const f = new Faulted(this, res, Native, Closing, null, false);
    res.onAborted(f.abort);
    this.at(f, 0, CloseNow);
  }

  private closeNow(f: Faulted): void {
    if (f.engine === Portable) (f.socket as Socket).destroy();
    else if (f.engine === H2) (f.res as unknown as H2Surface).resetStream(f.fault.kind === K.hang ? Cancel : f.fault.kind === K.truncate ? InternalError : ProtocolError);
    else f.res.cork(() => f.res.close());
  }

  private headerPiece(f: Faulted): void {
    const cap = f.cap as Capture;
    const d = f.fault.arg;
    const step = f.step++;
    if (f.engine === Portable) {
      const s = f.socket as Socket;
      s.write(f.pieces[step]);
      if (step === f.pieces.length - 1) {
        if (f.head) s.end();
        else s.end(cap.body);
        return;
      }
    } else if (step < f.pieces.length) {
      const line = f.pieces[step];
      const colon = line.indexOf(':');
      f.res.cork(() => f.res.writeHeader(line.slice(0, colon), line.slice(colon + 1).trimStart()));
    } else {
      f.res.cork(() => this.endWhole(f));
      return;
    }
    this.at(f, d / (f.pieces.length + 1), HeaderPiece);
  }

  private bodyPiece(f: Faulted): void {
    const cap = f.cap as Capture;
    const rate = f.fault.arg;
    const per = Math.max(1, Math.floor((rate * BodyTickMs) / 1000));
    const tick = per === 1 ? Math.max(BodyTickMs, 1000 / rate) : BodyTickMs;
    const at = f.res.getWriteOffset();
    const total = cap.size;
    const [ok, done] = f.res.tryEnd(cap.slice(at, Math.min(total, at + per)), total);
    if (done) return;
    // Under backpressure the writable handler paces on once the socket drained.
    if (ok) this.next(f, tick);
  }

  // The captured response in full, after its head was written: a HEAD gets the GET's Content-Length and no body.
  // A large body goes out in pieces as the socket takes them (tryEnd, then onWritable), so a client that does not
  // read pins at most a piece, not the body (end() would join it and the engine would queue all of it).
  private endWhole(f: Faulted): void {
    const cap = f.cap as Capture;
    if (f.head) {
      f.res.writeHeader('Content-Length', String(cap.length));
      f.res.endWithoutBody();
    } else if (cap.size <= WholePieceBytes) {
      f.res.end(cap.body);
    } else {
      f.whole = true;
      f.res.onAborted(f.abort);
      f.res.onWritable(f.writable);
      this.wholePiece(f);
    }
  }

  /** Offer a whole body's next pieces until the socket pushes back or the body is out. Runs corked. */
  wholePiece(f: Faulted): void {
    const cap = f.cap as Capture;
    const total = cap.size;
    for (;;) {
      const at = f.res.getWriteOffset();
      const [ok, done] = f.res.tryEnd(cap.slice(at, Math.min(total, at + WholePieceBytes)), total);
      if (done || !ok) return;
    }
  }
}

/** The 400 for a faulted or trailered response whose body is over MaxCapturedBodyBytes (a GET; a HEAD sends no body). */
export function refuseOverflow(writer: Writer, res: HttpResponse, cap: Capture, param: 'fault' | 'trailer'): void {
  sendError(writer, res, 400, `a response with ${param}= is sent from a copy held in memory: its body may be at most ${formatSize(MaxCapturedBodyBytes)}, `
    + `this one is ${formatSize(cap.length)}; ask for a smaller size`, param);
}

function garbage(): Buffer {
  const b = randomFillSync(Buffer.alloc(GarbageBytes));
  // Never a CR or LF: uWS would otherwise frame part of it as a line.
  for (let i = 0; i < b.length; i++) if (b[i] === 10 || b[i] === 13) b[i] = 0x7f;
  return b;
}

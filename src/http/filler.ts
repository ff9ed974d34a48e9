// Sized bodies: views of one precomputed buffer of pseudo-random [a-zA-Z], never a copy per request.
// Small bodies are ended in one write; large ones stream with tryEnd/onWritable backpressure so a slow
// reader never makes the server buffer the whole body.
import { failed } from './contain.js';
import type { HttpResponse } from './uws.js';
import { QueuedBodyBytes, type Head } from './head.js';
import type { Writer } from './writer.js';

const Letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Filler buffer length (bytes); larger bodies repeat it. */
export const FillerBytes = 1024 * 1024;
/** Bodies up to this size go out in one end(); above, they stream with backpressure (see QueuedBodyBytes). */
export const SmallBodyBytes = QueuedBodyBytes;
/** Bytes offered to the socket per tryEnd: bounds what one slow connection can hold. */
const ChunkBytes = 64 * 1024;
const MaxCachedViews = 4096;
const ConnectionName = Buffer.from('Connection');
const CloseValue = Buffer.from('close');

/** Deterministic letters so every worker and every run serve the same bytes. */
export function makeFiller(bytes = FillerBytes, seed = 0x9e3779b9): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    // xorshift32: fast, seedable, good enough for filler text.
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    buf[i] = Letters.charCodeAt(x % 52);
  }
  return buf;
}

/** Per-thread sender of sized bodies. */
export class FillerSender {
  private readonly filler: Buffer;
  private readonly views = new Map<number, Buffer>();
  private res: (HttpResponse | null)[] = [];
  private total: number[] = [];
  private src: Buffer[] = [];
  private free: number[] = [];
  private aborters: (() => void)[] = [];
  private writables: ((offset: number) => boolean)[] = [];
  private streaming = 0;
  /** Called when the last stream finishes (used by graceful shutdown). */
  onIdle: (() => void) | null = null;

  /** writer: this worker's; the filler writes heads through it and becomes its large-body writer. */
  constructor(private readonly writer: Writer, filler: Buffer = makeFiller()) {
    this.filler = filler;
    // Large bodies of every writer (configured, payloads, /resource...) stream with backpressure.
    writer.useLargeWriter((res, body, length) => this.streamBody(res, body, length));
  }

  /** The filler itself, for routes that stream it their own way (chunked). */
  get bytes(): Buffer {
    return this.filler;
  }

  /** Responses still streaming a large body. */
  get active(): number {
    return this.streaming;
  }

  /** Send head + `size` filler bytes. Must run corked (handler or cork callback). */
  send(res: HttpResponse, head: Head, size: number): void {
    const w = this.writer;
    w.writeHead(res, head, size);
    if (size <= SmallBodyBytes || w.headForbidsBody()) {
      w.finish(res, this.view(Math.min(size, SmallBodyBytes)));
      return;
    }
    if (w.isHead(res)) w.endHead(res, size);
    else this.streamClosing(res, this.filler, size);
  }

  /** Send head + a whole precomputed body (a payload file), streamed with backpressure when large. */
  sendBuffer(res: HttpResponse, head: Head, body: Buffer): void {
    const w = this.writer;
    w.writeHead(res, head, body.length);
    if (body.length <= SmallBodyBytes || w.headForbidsBody()) w.finish(res, body);
    else if (w.isHead(res)) w.endHead(res, body.length);
    else this.streamClosing(res, body, body.length);
  }

  /** Stream a body another writer chose after writing its head (the writer's large writer). Must run corked. */
  streamBody(res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number): void {
    const src = Buffer.isBuffer(body) ? body : body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, length);
    this.streamClosing(res, src, length);
  }

  // tryEnd cannot close the connection after the last byte (docs/operations.md, "Limits"), so a `close` control on a streamed
  // body is announced with the header: the client closes once it has read the body.
  private streamClosing(res: HttpResponse, src: Buffer, size: number): void {
    if (this.writer.closing()) res.writeHeader(ConnectionName, CloseValue);
    this.stream(res, src, size);
  }

  /** Count a response another writer streams (chunked) as active, until unhold() — graceful shutdown waits for it. */
  hold(): void {
    this.streaming++;
  }

  /** End a hold(). */
  unhold(): void {
    this.streaming--;
    if (this.streaming === 0 && this.onIdle !== null) this.onIdle();
  }

  // `size` bytes of `src` (repeated if size exceeds it), from a slot with its own handlers.
  private stream(res: HttpResponse, src: Buffer, size: number): void {
    const slot = this.take();
    this.res[slot] = res;
    this.total[slot] = size;
    this.src[slot] = src;
    res.onAborted(this.aborters[slot]);
    res.onWritable(this.writables[slot]);
    this.pump(slot, 0);
  }

  // Views of a repeated size are cached so steady load on /size/N allocates nothing.
  private view(size: number): Buffer {
    let v = this.views.get(size);
    if (v === undefined) {
      if (this.views.size >= MaxCachedViews) this.views.clear();
      v = this.filler.subarray(0, size);
      this.views.set(size, v);
    }
    return v;
  }

  /** Offer chunks from body offset `at` until done or the socket pushes back; true unless backpressured. */
  private pump(slot: number, at: number): boolean {
    const res = this.res[slot] as HttpResponse;
    const total = this.total[slot];
    const src = this.src[slot];
    const L = src.length;
    for (;;) {
      const start = at % L;
      const len = Math.min(ChunkBytes, L - start, total - at);
      const [ok, done] = res.tryEnd(src.subarray(start, start + len), total);
      if (done) {
        this.release(slot);
        return true;
      }
      if (!ok) return false; // onWritable resumes from the socket's offset
      at += len;
    }
  }

  // onWritable runs outside the route's try/catch: an exception here would be the worker's (docs/operations.md, "Crashes"), so
  // it closes this one connection and is reported instead. The try costs nothing in optimized code.
  private resume(slot: number, offset: number): boolean {
    const res = this.res[slot] as HttpResponse;
    try {
      return this.pump(slot, offset);
    } catch (err) {
      this.release(slot);
      failed(this.writer, res, 'a streamed body', err);
      return true;
    }
  }

  private take(): number {
    if (this.free.length === 0) {
      const s = this.res.length;
      this.res.push(null);
      this.total.push(0);
      this.src.push(this.filler);
      // Made once per slot: uWS gives onAborted no arguments, so each handler knows its slot.
      this.aborters.push(() => this.release(s));
      this.writables.push((offset: number) => (this.res[s] === null ? true : this.resume(s, offset)));
      this.free.push(s);
    }
    this.streaming++;
    return this.free.pop() as number;
  }

  private release(slot: number): void {
    if (this.res[slot] === null) return;
    this.res[slot] = null;
    this.free.push(slot);
    this.streaming--;
    if (this.streaming === 0 && this.onIdle !== null) this.onIdle();
  }
}

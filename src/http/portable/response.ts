// The portable engine's response: uWS's HttpResponse over node's ServerResponse. Node frames the answer
// (Content-Length or chunked, HEAD without a body, keep-alive, pipelining order, Date); this class only
// turns uWS's calls into one writeHead(code, reason, flatHeaders) and end()/write().
import { peerCertificateOf, proxiedOf } from '../peer.js';
import type { PeerCertificate } from '../../observe/journal.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Bytes, EngineResponse, WsContext } from '../engine.js';
import { PortableUpgrade } from './websocket.js';

/** A status line parsed once: code, reason and the header lines that followed it (names and values alternate). */
interface ParsedHead {
  readonly code: number;
  readonly reason: string;
  readonly headers: string[];
  /** headers + Content-Length with its value slot last, rewritten before each writeHead (read synchronously). */
  readonly withLength: string[];
}

// The writer precomputes its heads as ArrayBuffers ("200 OK\r\nContent-Type: ..."): each distinct one is
// parsed once and found again by identity, so a precomputed head costs no string building per response.
const parsedHeads = new WeakMap<object, ParsedHead>();
const Ok = parseHead('200 OK');
// uWS copies every write into its own buffers; node keeps a reference to a Buffer it could not send at
// once. The app rewrites some bodies in place (the clock bodies of /json/valid), so small writes are
// copied like uWS does (a memcpy of up to this many bytes); larger ones (views of the immutable filler and
// payloads) are passed by reference.
const CopyUpTo = 16 * 1024;
const EmptyChunk = new ArrayBuffer(0);

const Open = 0;
const Streaming = 1;
const Done = 2;
const Aborted = 3;

/** uWS's response surface over node's; one per request. */
export class PortableResponse implements EngineResponse {
  private head: ParsedHead = Ok;
  private extra: string[] | null = null;
  private statusWritten = false;
  private state = Open;
  private offset = 0;
  private aborted: (() => void) | null = null;
  private writable: ((offset: number) => boolean) | null = null;
  private closeWatch: (() => void) | null = null;

  constructor(protected readonly msg: IncomingMessage, protected readonly res: ServerResponse) {}

  writeStatus(status: Bytes): this {
    // uWS keeps the first status; a header written before it implied "200 OK".
    if (this.statusWritten || this.state !== Open) return this;
    this.statusWritten = true;
    if (typeof status === 'string') this.head = parseHead(status);
    else {
      let h = parsedHeads.get(status);
      if (h === undefined) parsedHeads.set(status, h = parseHead(latin1(status)));
      this.head = h;
    }
    return this;
  }

  writeHeader(name: Bytes, value: Bytes): this {
    if (this.state !== Open) return this;
    this.statusWritten = true;
    (this.extra ??= []).push(headerText(name), headerText(value));
    return this;
  }

  write(chunk: Bytes): boolean {
    if (this.state >= Done) return false;
    if (this.state === Open) this.sendHead(-1, false);
    const b = body(chunk);
    this.offset += b.byteLength;
    // Node 24+ corks the response itself on a write outside a corked socket and joins every chunk written
    // in that tick into one (a /stream-bytes chunk_size=1 stream became one 4 KB chunk). With the socket
    // corked instead, each write stays its own chunk and the tick's writes still leave in one writev.
    const s = this.msg.socket;
    if (s !== null && s.writableCorked === 0) {
      s.cork();
      process.nextTick(uncorkSocket, s);
    }
    return this.res.write(b);
  }

  end(body_?: Bytes, closeConnection = false): this {
    if (this.state >= Done) return this;
    const b = body_ === undefined ? null : body(body_);
    const n = b === null ? 0 : b.byteLength;
    if (this.state === Open) this.sendHead(n, closeConnection);
    // Too late for the header: close once the body is out, as uWS does.
    else if (closeConnection) this.closeAfterFinish();
    this.offset += n;
    this.finish();
    if (b === null) this.res.end();
    else this.res.end(b);
    return this;
  }

  endWithoutBody(reportedContentLength?: number, closeConnection = false): this {
    if (this.state >= Done) return this;
    // No length: no Content-Length header (uWS); node then frames a 200 as chunked with no chunks.
    if (this.state === Open) this.sendHead(reportedContentLength ?? -1, closeConnection);
    this.finish();
    this.res.end();
    return this;
  }

  tryEnd(chunk: Bytes, totalSize: number): [boolean, boolean] {
    if (this.state >= Done) return [true, true];
    if (this.state === Open) this.sendHead(totalSize, false);
    // Node takes the whole chunk (uWS may take part of it): the offset moves past it, so the caller's
    // retry in onWritable resumes after it. Backpressure is node's: write() is false past the socket's
    // high-water mark, and 'drain' calls onWritable.
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : view(chunk);
    const room = totalSize - this.offset;
    const part = b.byteLength > room ? b.subarray(0, Math.max(0, room)) : b;
    this.offset += part.byteLength;
    if (this.offset >= totalSize) {
      this.finish();
      this.res.end(part);
      return [true, true];
    }
    return [this.res.write(part), false];
  }

  getWriteOffset(): number {
    return this.offset;
  }

  onWritable(handler: (offset: number) => boolean): this {
    if (this.writable === null) {
      this.res.on('drain', () => {
        const w = this.writable;
        if (w !== null && this.state < Done) w(this.offset);
      });
    }
    this.writable = handler;
    return this;
  }

  onAborted(handler: () => void): this {
    this.aborted = handler;
    if (this.closeWatch === null && this.state < Done) {
      // The socket, not the response: a pipelined response still queued has no socket of its own yet.
      const watch = (): void => this.abort();
      this.closeWatch = watch;
      this.abortSource().once('close', watch);
    }
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    // uWS calls onData for every request, a bodiless one with one empty last chunk (probed), and gives
    // the last bytes with isLast; node says 'end' after the last 'data', so one chunk is held back.
    let held: ArrayBuffer | null = null;
    this.msg.on('data', (b: Buffer) => {
      if (held !== null) handler(held, false);
      held = copy(b);
    });
    this.msg.on('end', () => {
      const last = held ?? EmptyChunk;
      held = null;
      handler(last, true);
    });
    return this;
  }

  cork(cb: () => void): this {
    // Node corks each end() itself; a callback writing several chunks gets one writev.
    const s = this.msg.socket as Socket | null;
    if (s === null || this.state >= Done) {
      cb();
      return this;
    }
    s.cork();
    try {
      cb();
    } finally {
      s.uncork();
    }
    return this;
  }

  close(): this {
    // uWS runs onAborted inside close() (probed); the socket's own 'close' comes a tick later.
    this.abort();
    this.msg.socket.destroy();
    return this;
  }

  /**
   * Fault injection (features/faults.ts): the connection itself, to write raw bytes on, reset or leave hanging.
   * Nothing more goes out through this response; onAborted still fires when the connection closes.
   */
  takeSocket(): Socket {
    this.state = Streaming;
    return this.msg.socket;
  }

  /**
   * The trailer control (features/trailers.ts): `head` as writeStatus takes it ("200 OK\r\nName: value"), then
   * `body` chunked (null: a HEAD, no body and no trailers), then the trailer fields (names and values alternating).
   * Node frames it: Transfer-Encoding chunked on HTTP/1.1, a trailing HEADERS frame on HTTP/2.
   */
  endWithTrailers(head: string, body: Buffer | null, trailers: readonly string[]): this {
    if (this.state !== Open) return this;
    const h = parseHead(head);
    const names: string[] = [];
    // An object: node:http2's compat addTrailers takes no [name, value] pairs (a repeated name keeps its last value).
    const fields: Record<string, string> = {};
    for (let i = 0; i < trailers.length; i += 2) {
      names.push(trailers[i]);
      fields[trailers[i]] = trailers[i + 1];
    }
    this.finish();
    // Node throws on a Trailer header in a response it does not send chunked (a HEAD, an HTTP/1.0 client): there
    // the head goes out without it, and without trailers.
    const chunked = body !== null && this.msg.httpVersion !== '1.0';
    this.writeHead(h.code, h.reason, chunked ? [...h.headers, 'Trailer', names.join(', ')] : h.headers);
    if (body !== null && body.length !== 0) this.res.write(body);
    if (chunked) this.res.addTrailers(fields);
    this.res.end();
    return this;
  }

  upgrade<U>(userData: U, _secWebSocketKey: Bytes, secWebSocketProtocol: Bytes, secWebSocketExtensions: Bytes, context: WsContext): void {
    if (!(context instanceof PortableUpgrade)) throw new TypeError('upgrade: not the context of a portable-engine upgrade handler');
    // After an answer or an abort there is nothing to upgrade (uWS would throw on an aborted response).
    if (this.state !== Open) return;
    this.finish();
    // Headers written before upgrade() go out with the 101, as uWS sends them. ws takes the key from the
    // request itself (the same header the handler read).
    context.accept(userData, secWebSocketProtocol, secWebSocketExtensions, this.extra);
  }

  getRemoteAddressAsText(): ArrayBuffer {
    const a = this.msg.socket.remoteAddress ?? '';
    return copy(Buffer.from(a.startsWith('::ffff:') ? a.slice(7) : a, 'latin1'));
  }

  getProxiedRemoteAddressAsText(): ArrayBuffer {
    return copy(Buffer.from(proxiedOf(this.msg.socket), 'latin1'));
  }

  /** The client certificate of a TLS connection (mutual TLS, --tls-ca); null without one. */
  getPeerCertificate(): PeerCertificate | null {
    return peerCertificateOf(this.msg.socket);
  }

  // The head goes out with the first body bytes (node joins them in one write). length < 0: no
  // Content-Length (chunked, or none for 204/304/HEAD as node decides).
  private sendHead(length: number, close: boolean): void {
    this.state = Streaming;
    const h = this.head;
    let headers: string[];
    if (this.extra === null && !close) {
      if (length < 0) headers = h.headers;
      else {
        headers = h.withLength;
        headers[headers.length - 1] = String(length);
      }
    } else {
      headers = this.extra === null ? h.headers.slice() : h.headers.concat(this.extra);
      if (close) headers.push('Connection', 'close');
      if (length >= 0) headers.push('Content-Length', String(length));
    }
    this.writeHead(h.code, h.reason, headers);
  }

  /** Send the head: code, reason and flat header names and values (Connection: close among them when asked). */
  protected writeHead(code: number, reason: string, headers: string[]): void {
    this.res.writeHead(code, reason, headers);
  }

  /** The connection closes once this response is out (asked after its head was sent). */
  protected closeAfterFinish(): void {
    this.res.once('finish', () => this.msg.socket.end());
  }

  /** What emits 'close' when the response can no longer complete: the connection (one response at a time on it). */
  protected abortSource(): NodeJS.EventEmitter {
    return this.msg.socket;
  }

  private finish(): void {
    this.state = Done;
    const w = this.closeWatch;
    if (w !== null) {
      this.closeWatch = null;
      this.abortSource().removeListener('close', w);
    }
  }

  private abort(): void {
    if (this.state >= Done) return;
    this.state = Aborted;
    this.closeWatch = null;
    const a = this.aborted;
    this.aborted = null;
    a?.();
  }
}

/** Parse "503 Service Unavailable[\r\nName: value...]" (what follows "HTTP/1.1 " in uWS's writeStatus). */
export function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const first = lines[0];
  const sp = first.indexOf(' ');
  const code = Number.parseInt(sp < 0 ? first : first.slice(0, sp), 10);
  if (!(code >= 100 && code <= 999)) throw new Error(`writeStatus: no status code in ${JSON.stringify(first)}`);
  const headers: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`writeStatus: not a header line: ${JSON.stringify(line)}`);
    headers.push(line.slice(0, colon), line.slice(colon + 1).trimStart());
  }
  return { code, reason: sp < 0 ? '' : first.slice(sp + 1), headers, withLength: [...headers, 'Content-Length', ''] };
}

function view(b: ArrayBuffer | ArrayBufferView): Buffer {
  return b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

// Node writes header strings as latin1: decoding bytes as latin1 sends them out unchanged.
function latin1(b: ArrayBuffer | ArrayBufferView): string {
  return view(b).toString('latin1');
}

// uWS sends a string's UTF-8 bytes; node would refuse characters above U+00FF.
function headerText(v: Bytes): string {
  if (typeof v !== 'string') return latin1(v);
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 127) return Buffer.from(v).toString('latin1');
  return v;
}

function body(b: Bytes): Buffer {
  if (typeof b === 'string') return Buffer.from(b);
  const v = view(b);
  return v.byteLength <= CopyUpTo ? Buffer.from(v) : v;
}

function copy(b: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

function uncorkSocket(s: Socket): void {
  s.uncork();
}

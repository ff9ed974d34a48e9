// The portable engine's WebSockets: uWS 20.30's WebSocket routes (app.ws, res.upgrade, the WebSocket
// object) on the `ws` package. Node hands an Upgrade request over as a raw socket ('upgrade'); the app
// routes it like any GET (a ws route is a GET route that yields when the request is not a WebSocket
// handshake), answers it on a response of our own over that socket, and either gives the socket to `ws`
// (res.upgrade), or, once an HTTP answer is out, back to node's HTTP server as a fresh keep-alive connection.
// Semantics were probed on the native build (uWS 20.30, scratch probe 2026-12-05): see docs/engines.md.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bytes, EngineWebSocket, WsBehavior } from '../engine.js';

/** uWS's defaults: 16 KB messages, 120 s idle, 64 KB of backpressure before send() drops. */
export const DefaultMaxPayloadLength = 16 * 1024;
export const DefaultIdleTimeoutS = 120;
export const DefaultMaxBackpressure = 64 * 1024;
/** WsBehavior.compression values (the native build's). */
export const Disabled = 0;
export const SharedCompressor = 1;
/** Bytes a client may send while its upgrade is deferred (it should send none before the 101). */
export const MaxEarlyBytes = 64 * 1024;

/** send() results, as uWS: sent, sent but buffered, dropped (not sent). */
const Sent = 1;
const Backpressure = 0;
const Dropped = 2;

// uWS closes an oversize or idle socket without a close frame; its close handler gets 1006 and these.
const TooBig = Buffer.from('Received too big message');
const TooBigInflated = Buffer.from('Received too big message, or other inflation error');
const TimedOut = Buffer.from('WebSocket timed out from inactivity');
const NoReason = Buffer.alloc(0);

// ws's send options, one object per combination: no object literal per message.
const SendOptions = [
  { binary: false, compress: false }, { binary: true, compress: false },
  { binary: false, compress: true }, { binary: true, compress: true },
] as const;

// What the upgrade being accepted chose: read by the ws servers' hooks during handleUpgrade, which runs
// synchronously (no verifyClient), so one module-level slot serves every app.
let acceptingProtocol = '';
let acceptingHeaders: string[] | null = null;

function chosenProtocol(): string | false {
  return acceptingProtocol === '' ? false : acceptingProtocol;
}

// ws names the parameters in the other order; uWS's answer, byte for byte.
const WsDeflateAnswer = 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover';
const UwsDeflateAnswer = 'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover';

function addHeaders(headers: string[]): void {
  const at = headers.indexOf(WsDeflateAnswer);
  if (at >= 0) headers[at] = UwsDeflateAnswer;
  const extra = acceptingHeaders;
  if (extra !== null) for (let i = 0; i + 1 < extra.length; i += 2) headers.push(`${extra[i]}: ${extra[i + 1]}`);
}

function noop(): void {}

/** The app's open WebSockets and the raw sockets it is still answering, so app.close() reaches them all. */
export class WsHub {
  readonly sockets = new Set<PortableWebSocket<unknown>>();
  readonly pending = new Set<Socket>();

  /** Drop everything: pending upgrades see onAborted, clients of open WebSockets see the connection end (1006), as with uWS. */
  closeAll(): void {
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    for (const ws of this.sockets) ws.close();
  }
}

/** One ws route: its behavior, its limits, and the `ws` servers that complete its handshakes. */
export class WsRoute<U> {
  readonly maxBackpressure: number;
  readonly idleTimeoutS: number;
  /** Completes handshakes without permessage-deflate. */
  readonly plain: WebSocketServer;
  /** Completes handshakes offering permessage-deflate (SHARED_COMPRESSOR routes only). */
  readonly deflate: WebSocketServer | null;

  constructor(readonly behavior: WsBehavior<U>, readonly hub: WsHub) {
    this.maxBackpressure = behavior.maxBackpressure ?? DefaultMaxBackpressure;
    this.idleTimeoutS = behavior.idleTimeout ?? DefaultIdleTimeoutS;
    // No autoPong: ws would queue a PONG for every PING even to a client that reads nothing (PortableSocket answers them).
    const common = { noServer: true, clientTracking: false, autoPong: false, maxPayload: behavior.maxPayloadLength ?? DefaultMaxPayloadLength, handleProtocols: chosenProtocol };
    this.plain = new WebSocketServer({ ...common, perMessageDeflate: false });
    this.plain.on('headers', addHeaders);
    // uWS's shared compressor answers "permessage-deflate; client_no_context_takeover; server_no_context_takeover".
    this.deflate = behavior.compression === SharedCompressor
      ? new WebSocketServer({ ...common, perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true } })
      : null;
    this.deflate?.on('headers', addHeaders);
  }

  /** The handshake is done: wrap the socket, track it, run open. */
  opened(ws: WebSocket, socket: Socket, userData: U): void {
    const w = new PortableWebSocket<U>(ws, socket, userData, this);
    this.hub.sockets.add(w as PortableWebSocket<unknown>);
    this.behavior.open?.(w);
  }
}

/** A request header's value, whatever the case of its name. */
function headerOf(msg: IncomingMessage, name: string): string {
  const v = msg.headers[name];
  return typeof v === 'string' ? v : '';
}

/** Whether the request is a WebSocket handshake as uWS sees one: `Upgrade: websocket` and a 24-character key. */
export function isWebSocketHandshake(upgrade: string, key: string): boolean {
  return key.length === 24 && upgrade.length === 9 && upgrade.toLowerCase() === 'websocket';
}

/**
 * One Upgrade request node handed over as a raw socket: the WsContext its upgrade handler gets. Its
 * response is a ServerResponse of ours over the socket; when it finishes, the socket goes back to node's
 * HTTP server (a keep-alive connection, like uWS) or closes; res.upgrade() gives the socket to `ws` instead.
 */
export class PortableUpgrade {
  /** The ws route whose upgrade handler has the request (set by the route before it runs). */
  route: WsRoute<unknown> | null = null;
  /** The HTTP answer, over the raw socket. */
  readonly res: ServerResponse;
  private head: Buffer;
  private watching = false;
  private done = false;

  constructor(private readonly server: Server, readonly msg: IncomingMessage, readonly socket: Socket, head: Buffer,
    private readonly hub: WsHub, makeResponse: (msg: IncomingMessage) => ServerResponse) {
    this.head = head;
    // Node took its error listener off the socket with its parser: a reset must not be an uncaught error.
    socket.on('error', noop);
    hub.pending.add(socket);
    // The request's body never reaches us on this path: the handler sees an empty one; a request that
    // has one is answered, then its connection closes (its body bytes would otherwise be read as a request).
    msg.push(null);
    const res = this.res = makeResponse(msg);
    const te = headerOf(msg, 'transfer-encoding');
    const length = headerOf(msg, 'content-length');
    res.shouldKeepAlive = msg.httpVersion === '1.1' && te === '' && (length === '' || length === '0');
    res.assignSocket(socket);
    res.once('finish', () => this.answered());
    socket.once('close', () => this.gone());
  }

  /** After routing: an answer neither complete nor upgraded is deferred; watch the socket so a client leaving aborts it. */
  settle(): void {
    if (this.done || this.res.writableFinished || this.watching) return;
    this.watching = true;
    this.socket.on('data', this.early);
    this.socket.on('end', this.leave);
    this.socket.resume();
  }

  /** res.upgrade(): complete the handshake on the route's `ws` server (deflate only when extensions is non-empty). */
  accept(userData: unknown, protocol: Bytes, extensions: Bytes, headers: string[] | null): void {
    const route = this.route;
    if (this.done || route === null) return;
    this.done = true;
    this.unwatch();
    this.res.detachSocket(this.socket);
    this.hub.pending.delete(this.socket);
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.removeListener('error', noop);
    const wss = route.deflate !== null && byteLength(extensions) > 0 ? route.deflate : route.plain;
    acceptingProtocol = text(protocol);
    acceptingHeaders = headers;
    try {
      wss.handleUpgrade(this.msg, socket, this.head, (ws) => route.opened(ws, socket, userData));
    } finally {
      acceptingProtocol = '';
      acceptingHeaders = null;
    }
  }

  // The HTTP answer is out: a keep-alive socket goes back to node's HTTP server with what it already
  // read (the next pipelined request), as a new connection ('connection' is node's documented injection).
  private answered(): void {
    if (this.done) return;
    this.done = true;
    this.unwatch();
    const socket = this.socket;
    this.res.detachSocket(socket);
    const last = (this.res as unknown as { _last?: boolean })._last === true;
    if (last || socket.destroyed) {
      socket.end();
      return;
    }
    this.hub.pending.delete(socket);
    socket.removeListener('error', noop);
    if (this.head.length > 0) socket.unshift(this.head);
    this.server.emit('connection', socket);
    socket.resume();
  }

  private gone(): void {
    this.done = true;
    this.hub.pending.delete(this.socket);
  }

  private readonly early = (b: Buffer): void => {
    this.head = this.head.length === 0 ? b : Buffer.concat([this.head, b]);
    if (this.head.length > MaxEarlyBytes) this.socket.destroy();
  };

  // A client's FIN aborts what is pending, as on the HTTP path (and uWS).
  private readonly leave = (): void => {
    this.socket.destroy();
  };

  private unwatch(): void {
    if (!this.watching) return;
    this.watching = false;
    this.socket.removeListener('data', this.early);
    this.socket.removeListener('end', this.leave);
  }
}

/**
 * uWS's WebSocket over a `ws` WebSocket. Messages given to behavior.message are ArrayBuffers valid only
 * during the call (they are ws's: usually a copy of the frame's payload, the whole read's buffer when
 * the frame filled it). send() copies what it is given (uWS copies on send; ws would keep a reference
 * until the socket took the bytes, and callers rewrite stamped buffers in place).
 */
export class PortableWebSocket<U> implements EngineWebSocket<U> {
  /** A send reported backpressure: drain is owed once the buffered amount is back to zero. */
  private waiting = false;
  /** The close handler ran: the socket is closed for its user (sends are dropped). */
  private closed = false;
  /** ws closed the connection. */
  private gone = false;
  /** What the close handler reports instead of ws's code (uWS's abrupt closes). */
  private closeCode = 0;
  private closeReason: Buffer = NoReason;
  /** The idle timer fired once and a ping went out; nothing came back yet. */
  private pinged = false;
  private readonly written = (): void => this.checkDrain();

  constructor(private readonly ws: WebSocket, private readonly socket: Socket, private readonly userData: U, private readonly route: WsRoute<U>) {
    ws.binaryType = 'arraybuffer';
    const behavior = route.behavior;
    ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
      this.pinged = false;
      // Messages still arriving during the close handshake are not the user's: the socket is closed for it.
      if (!this.closed) behavior.message?.(this, data, isBinary);
    });
    ws.on('pong', () => { this.pinged = false; });
    ws.on('ping', (data: Buffer) => {
      this.pinged = false;
      // A PING flood from a client that reads nothing would queue its PONGs without bound: past the route's
      // backpressure limit (or the default one) they are dropped, as sends are.
      if (ws.readyState === 1 && ws.bufferedAmount <= (this.route.maxBackpressure || DefaultMaxBackpressure)) ws.pong(data);
    });
    // ws closes the connection itself on a protocol error; the error event only needs a listener.
    ws.on('error', noop);
    ws.on('close', (code: number, reason: Buffer) => this.closedWith(code, reason));
    socket.on('drain', this.written);
    // An oversize message: uWS drops the connection without a close frame (the client sees 1006); ws would
    // send 1009 first. Its receiver is private; this listener runs before ws's own (ws pinned at 8.18.3).
    const receiver = (ws as unknown as { _receiver?: NodeJS.EventEmitter })._receiver;
    receiver?.prependListener('error', (err: { code?: string }) => {
      if (err.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      this.closeCode = 1006;
      this.closeReason = ws.extensions === '' ? TooBig : TooBigInflated;
      socket.destroy();
    });
    // uWS pings a socket idle for half its idleTimeout and drops it (1006) when the rest passes without a
    // byte from the client. The socket's own timeout (node keeps one timer list per duration, no timer of
    // ours per socket) fires after that much silence either way; our writes count as activity too, so a
    // socket we keep sending to does not time out (uWS 20.30 counts only what the client sends).
    if (route.idleTimeoutS > 0) {
      socket.setTimeout(route.idleTimeoutS * 500);
      socket.on('timeout', () => this.idle());
    }
  }

  send(message: Bytes, isBinary = false, compress = false): number {
    const ws = this.ws;
    if (this.closed || ws.readyState !== 1) return Dropped;
    const max = this.route.maxBackpressure;
    // As uWS: a send is dropped when more than maxBackpressure is already buffered (0: no limit).
    if (max > 0 && ws.bufferedAmount > max) return Dropped;
    ws.send(copyOf(message), SendOptions[(isBinary ? 1 : 0) + (compress ? 2 : 0)], this.written);
    // Compressed messages wait for zlib (asynchronous in ws): they report backpressure until written.
    if (ws.bufferedAmount === 0) return Sent;
    this.waiting = true;
    return Backpressure;
  }

  end(code?: number, shortMessage?: Bytes): void {
    const ws = this.ws;
    if (this.closed || ws.readyState !== 1) return;
    const reason = shortMessage === undefined ? NoReason : typeof shortMessage === 'string' ? Buffer.from(shortMessage) : copyOf(shortMessage) as Buffer;
    // uWS's close handler reports the code end() sent (the client's echo may differ).
    const sent = code === undefined || code === 0 ? undefined : code;
    try {
      ws.close(sent, reason);
    } catch {
      // ws refuses codes outside the protocol's ranges and reasons over 123 bytes (uWS sends them): close bare.
      ws.close();
    }
    // uWS runs the close handler inside end(), with the code end() sent (probed: any later call on the
    // socket throws there); ws finishes the close handshake afterwards.
    this.report(sent ?? 1005, reason);
  }

  close(): void {
    if (!this.gone) this.ws.terminate();
    // As uWS: the close handler runs inside close().
    this.report(1006, NoReason);
  }

  getBufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  getUserData(): U {
    return this.userData;
  }

  cork(cb: () => void): void {
    const s = this.socket;
    s.cork();
    try {
      cb();
    } finally {
      s.uncork();
    }
  }

  private checkDrain(): void {
    if (!this.waiting || this.closed || this.ws.bufferedAmount !== 0) return;
    this.waiting = false;
    this.route.behavior.drain?.(this);
  }

  private idle(): void {
    if (this.gone) return;
    if (!this.pinged) {
      this.pinged = true;
      this.ws.ping();
      return;
    }
    this.closeCode = 1006;
    this.closeReason = TimedOut;
    this.socket.destroy();
  }

  private closedWith(code: number, reason: Buffer): void {
    this.gone = true;
    this.socket.removeListener('drain', this.written);
    this.route.hub.sockets.delete(this as PortableWebSocket<unknown>);
    if (this.closeCode !== 0) this.report(this.closeCode, this.closeReason);
    else this.report(code, reason);
  }

  // The close handler, once per socket.
  private report(code: number, reason: Buffer): void {
    if (this.closed) return;
    this.closed = true;
    this.route.behavior.close?.(this, code, arrayBufferOf(reason));
  }
}

function byteLength(b: Bytes): number {
  return typeof b === 'string' ? b.length : b.byteLength;
}

function text(b: Bytes): string {
  if (typeof b === 'string') return b;
  return (b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('latin1');
}

// A copy the caller may not rewrite under us (strings: ws encodes them into a new buffer itself).
function copyOf(b: Bytes): Buffer | string {
  if (typeof b === 'string') return b;
  return Buffer.copyBytesFrom(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

function arrayBufferOf(b: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

// The portable engine: the uWS module surface (App, SSLApp, listen, close, listener tokens) on node:http
// and node:https, for Node versions without a native uWebSockets.js build. It imports nothing of uWS, so it
// loads on any Node. Node does the HTTP/1.1 work (parsing, keep-alive, pipelining order, HEAD framing,
// chunked bodies); the router and the request/response adapters give handlers uWS's semantics.
import { readFileSync } from 'node:fs';
import { createServer, ServerResponse, type IncomingMessage, type Server, type ServerOptions } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { Server as NetServer, Socket as NetSocket, type AddressInfo, type Socket } from 'node:net';
import type { AppHandler, Engine, EngineApp, EngineRequest, EngineResponse, GatewayOptions, ListenToken, TlsFiles, WsBehavior } from '../engine.js';
import { parseProxyHeader, proxiedAddress } from './proxy.js';
import type { ProxiedSocket } from '../peer.js';
import type { TLSSocket } from 'node:tls';
import { PortableRequest, type RequestSource } from './request.js';
import { PortableResponse } from './response.js';
import { Router, type Runner } from './router.js';
import { Disabled, isWebSocketHandshake, PortableUpgrade, SharedCompressor, WsHub, WsRoute } from './websocket.js';

/** listen() option meaning "do not share the port" (the native build's value). */
export const ExclusivePort = 1;

/**
 * Server limits, close to uWS's: idle keep-alive connections close after 10 s (uWS ~10 s), and so does a
 * connection silent for 10 s in the middle of a request (closeIfAwaitingRequest); a client has
 * 15 s to send its head and 60 s for its whole request, so a slow client cannot hold a parser's memory
 * (uWS has no such bound but reads everything at once); heads up to 16 KB (node's default; uWS takes a
 * larger head in one read, 4 KB across reads). Responses themselves never time out, as with uWS.
 */
export const Limits = { keepAliveTimeoutMs: 10_000, idleTimeoutMs: 10_000, headersTimeoutMs: 15_000, requestTimeoutMs: 60_000, maxHeaderSize: 16 * 1024 } as const;

/**
 * Whether this Node can share a port between listeners (net's `reusePort`, Node 22.12+/23.1+; older Nodes
 * ignore the option and the second listener gets EADDRINUSE). Only where SO_REUSEPORT balances
 * connections: elsewhere Node refuses the option outright.
 */
export function reusePortSupported(version = process.versions.node, platform: string = process.platform): boolean {
  if (!['linux', 'freebsd', 'sunos', 'aix'].includes(platform)) return false;
  const [major, minor] = version.split('.').map((n) => Number.parseInt(n, 10));
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** What node:http keeps on a connection (internals, read only here): the request being parsed, the response first in line. */
interface HttpSocket extends Socket {
  parser?: { incoming?: IncomingMessage | null } | null;
  _httpMessage?: ServerResponse | null;
}

// A connection silent for idleTimeoutMs: closed when it owes us request bytes (an unfinished head or body)
// or nothing is pending; kept when the silence is ours (a response not yet complete for a whole request).
function closeIfAwaitingRequest(socket: HttpSocket): void {
  const incoming = socket.parser?.incoming ?? null;
  const owed = socket._httpMessage ?? null;
  if ((incoming !== null && !incoming.complete) || owed === null || owed.writableFinished) socket.destroy();
}

/** A socket's resume() while requests wait behind its answers: it stays paused (see PortableApp.dispatch). */
function resumeUnlessWaiting(this: DeferringSocket): DeferringSocket {
  const waiting = this.mockDeferred;
  if (waiting !== undefined && waiting.length > 0) return this;
  return NetSocket.prototype.resume.call(this) as DeferringSocket;
}

/** Answers a connection may have in the making at once (see PortableApp.dispatch). */
export const MaxAhead = 16;
/** Requests a connection may have waiting behind them before it is closed (see PortableApp.dispatch). */
export const MaxDeferred = 4096;

/** A connection with requests waiting behind an answer its client has not read (see PortableApp.dispatch). */
interface DeferringSocket extends HttpSocket {
  mockDeferred?: (IncomingMessage | ServerResponse)[];
  /** Answers started and not yet complete. */
  mockAhead?: number;
  /** node's own pause flag (it paused reading because answers queued up). */
  _paused?: boolean;
}

class Listener {
  constructor(readonly server: NetServer) {}
}

/** The TLS material of an SSLApp: its certificate and key, and with --tls-ca the CA client certificates must chain to. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** The 403 body of a request whose TLS client presented no valid certificate (--tls-ca). */
export function clientCertRefusal(reason: string): string {
  return `{"error":${JSON.stringify(`client certificate required: ${reason}`)},"param":"tls"}`;
}

function listener(token: ListenToken): Listener {
  if (!(token instanceof Listener)) throw new TypeError('not a listen token of the portable engine');
  return token;
}

/**
 * An app of the portable engine: uWS's routing over one or more node servers. The h2 engine extends it
 * (src/http/h2/engine.ts): the same router, request adapter and HTTP/1.1 servers, its own listeners.
 */
export class PortableApp implements EngineApp {
  private readonly router = new Router();
  private readonly req = new PortableRequest(this.router);
  private readonly servers = new Set<Server>();
  private current: PortableResponse | null = null;
  /** The Upgrade request being routed (node handed its socket over), null for an ordinary request. */
  private upgrading: PortableUpgrade | null = null;
  private readonly hub = new WsHub();
  // One runner for every request: the response being routed is a field, so routing allocates no closure.
  private readonly run: Runner = (handler) => {
    const req = this.req;
    req.yielded = false;
    void handler(this.current as PortableResponse, req);
    return !req.yielded;
  };

  /** Listeners reading PROXY headers (--proxy-protocol), and the connections still sending theirs. */
  private readonly proxyFronts = new Set<NetServer>();
  private readonly proxyReading = new Set<Socket>();

  /** --tls-ca: requests from a TLS client without a verified certificate get a 403 (route()). */
  protected requireClientCert: boolean;

  constructor(private readonly tls: TlsMaterial | null, protected readonly gateway: GatewayOptions = {}) {
    this.requireClientCert = tls?.ca !== undefined;
  }

  any(pattern: string, handler: AppHandler): this { this.router.add(null, pattern, handler); return this; }
  // A ws route is a GET route, as in uWS: it takes WebSocket handshakes and yields everything else.
  ws<U>(pattern: string, behavior: WsBehavior<U>): this {
    const route = new WsRoute<U>(behavior, this.hub) as WsRoute<unknown>;
    this.router.add('get', pattern, (res, req) => this.offerUpgrade(route, res, req));
    return this;
  }
  get(pattern: string, handler: AppHandler): this { this.router.add('get', pattern, handler); return this; }
  post(pattern: string, handler: AppHandler): this { this.router.add('post', pattern, handler); return this; }
  put(pattern: string, handler: AppHandler): this { this.router.add('put', pattern, handler); return this; }
  del(pattern: string, handler: AppHandler): this { this.router.add('delete', pattern, handler); return this; }
  patch(pattern: string, handler: AppHandler): this { this.router.add('patch', pattern, handler); return this; }
  options(pattern: string, handler: AppHandler): this { this.router.add('options', pattern, handler); return this; }
  head(pattern: string, handler: AppHandler): this { this.router.add('head', pattern, handler); return this; }

  listen(host: string, port: number, cb: (token: ListenToken | false) => void): this;
  listen(host: string, port: number, options: number, cb: (token: ListenToken | false) => void): this;
  listen(host: string, port: number, a: number | ((token: ListenToken | false) => void), b?: (token: ListenToken | false) => void): this {
    const cb = typeof a === 'function' ? a : b;
    const options = typeof a === 'number' ? a : 0;
    if (cb === undefined) throw new TypeError('listen needs a callback');
    const server = this.server();
    // With --proxy-protocol a plain TCP listener reads each connection's PROXY header, then hands it on.
    const front: NetServer = this.gateway.proxyProtocol === true ? this.proxyFront(server) : server;
    const failed = (): void => cb(false);
    front.once('error', failed);
    // uWS shares a port by default (SO_REUSEPORT); so do we where Node can.
    const reusePort = (options & ExclusivePort) === 0 && reusePortSupported();
    front.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      front.removeListener('error', failed);
      // Errors after listening (EMFILE on accept) are node's to retry; an unhandled 'error' would throw.
      front.on('error', () => {});
      this.servers.add(server);
      if (front !== server) this.proxyFronts.add(front);
      cb(new Listener(front));
    });
    return this;
  }

  close(): void {
    // Open WebSockets and Upgrade requests left node's connection list when node handed their sockets over.
    this.hub.closeAll();
    for (const s of this.servers) {
      s.close();
      // Pending responses see their socket close, so their onAborted runs (as with uWS's app.close()).
      s.closeAllConnections();
    }
    this.servers.clear();
    for (const f of this.proxyFronts) NetServer.prototype.close.call(f);
    this.proxyFronts.clear();
    for (const s of this.proxyReading) s.destroy();
    this.proxyReading.clear();
  }

  // A listener whose connections start with a PROXY protocol header (v1 or v2, proxy.ts): read it (across
  // as many TCP segments as it takes, within the head timeout), note the client address on the socket and
  // hand the socket with the bytes after the header to `server` (HTTP, or TLS whose handshake follows).
  // A missing or malformed header closes the connection and is reported (counted by the app).
  private proxyFront(server: Server): NetServer {
    return new NetServer((socket: Socket) => {
      this.proxyReading.add(socket);
      let buf: Buffer = Buffer.alloc(0);
      const refuse = (reason: string): void => {
        this.proxyReading.delete(socket);
        socket.destroy();
        this.gateway.onRefused?.('proxy-header', reason);
      };
      // The head timeout bounds the whole header: a socket timeout alone is re-armed by every byte, so a
      // client dripping a byte now and then would hold the connection for hours. Each chunk shortens it.
      const deadline = performance.now() + Limits.headersTimeoutMs;
      const onData = (chunk: Buffer): void => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const r = parseProxyHeader(buf);
        if (r.state === 'more') {
          const left = deadline - performance.now();
          if (left > 0) socket.setTimeout(left);
          else onTimeout();
          return;
        }
        socket.removeListener('data', onData);
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
        if (r.state === 'bad') {
          refuse(r.reason);
          return;
        }
        this.proxyReading.delete(socket);
        socket.pause();
        (socket as ProxiedSocket).mockProxied = proxiedAddress(r.header);
        if (buf.length > r.length) socket.unshift(buf.subarray(r.length));
        // node:http would read the handle directly (bypassing what was unshifted): keep it on the stream path.
        const handle = (socket as unknown as { _handle?: { _consumed?: boolean } | null })._handle;
        if (handle != null) handle._consumed = true;
        server.emit('connection', socket);
        socket.resume();
      };
      const onTimeout = (): void => refuse(`no complete PROXY header within ${Limits.headersTimeoutMs / 1000} s`);
      socket.on('data', onData);
      socket.on('error', () => {});
      socket.setTimeout(Limits.headersTimeoutMs);
      socket.once('timeout', onTimeout);
      socket.once('close', () => this.proxyReading.delete(socket));
    });
  }

  /** A node:http(s) server wired to this app's routes (not listening: listen() or a caller gives it connections). */
  protected server(): Server {
    const opts: ServerOptions = { maxHeaderSize: Limits.maxHeaderSize, keepAliveTimeout: Limits.keepAliveTimeoutMs,
      headersTimeout: Limits.headersTimeoutMs, requestTimeout: Limits.requestTimeoutMs };
    const handle = (msg: IncomingMessage, res: ServerResponse): void => this.dispatch(msg, res);
    // --tls-ca: every client is asked for a certificate; one without a valid one gets a 403 that says why
    // (see route()), rather than a handshake alert it cannot read.
    const tls = this.tls;
    const server = tls === null ? createServer(opts, handle)
      : createTlsServer({ ...opts, cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: false }) }, handle);
    // Responses never time out (uWS: a pending response waits for its timer, however long). Node's
    // default on a client's FIN is kept: like uWS, it aborts what is pending and closes, so a client that
    // leaves with destroy() (a FIN) aborts its responses at once (half-closing clients lose deferred answers
    // on both engines; test/hardening/hostile-http.test.ts has that as a todo).
    // uWS closes a connection that sends nothing for ~10 s while it waits for request bytes (a head or a
    // body that stalls). Node's socket timeout fires on any 10 s of silence; a response we still owe (a
    // /delay, a drip) is not the client's silence, so only a connection awaiting request bytes is closed.
    server.timeout = Limits.idleTimeoutMs;
    server.on('timeout', closeIfAwaitingRequest);
    // Each deferred response watches its socket's 'close'; many pipelined ones are not a leak.
    server.on('connection', (s: Socket) => s.setMaxListeners(0));
    // Node hands a CONNECT request over as a raw socket (a tunnel); uWS routes it like any method. So do we,
    // on a response of our own over that socket, closed once it is answered (no tunnel, no keep-alive).
    server.on('connect', (msg: IncomingMessage, socket: Socket) => {
      msg.push(null);
      const res = new ServerResponse(msg);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.once('finish', () => socket.end());
      socket.once('close', () => res.detachSocket(socket));
      this.handle(msg, res);
    });
    // An Upgrade request (WebSocket, h2c...) comes as a raw socket; it is routed like any request.
    server.on('upgrade', (msg: IncomingMessage, socket: Socket, head: Buffer) => this.upgradeRequest(server, msg, socket, head));
    return server;
  }

  private upgradeRequest(server: Server, msg: IncomingMessage, socket: Socket, head: Buffer): void {
    // Behind an answer still owed on this connection: uWS closes a connection pipelining behind a pending response.
    if ((socket as HttpSocket)._httpMessage != null) {
      socket.destroy();
      return;
    }
    const ctx = new PortableUpgrade(server, msg, socket, head, this.hub, answerFor);
    this.upgrading = ctx;
    let answered: boolean;
    try {
      answered = this.route(msg, new PortableResponse(msg, ctx.res));
    } finally {
      this.upgrading = null;
    }
    if (!answered) socket.destroy();
    else ctx.settle();
  }

  // A ws route's handler: a WebSocket handshake arriving as an Upgrade goes to the behavior; anything
  // else (no upgrade headers, or an ordinary request) goes on to the HTTP routes.
  private offerUpgrade(route: WsRoute<unknown>, res: EngineResponse, req: EngineRequest): void {
    const ctx = this.upgrading;
    if (ctx === null || !isWebSocketHandshake(req.getHeader('upgrade'), req.getHeader('sec-websocket-key'))) {
      req.setYield(true);
      return;
    }
    ctx.route = route;
    route.behavior.upgrade(res, req, ctx);
  }

  // A pipelining client that does not read its answers: node parses every request of a read (up to 64 KB,
  // ~1,800 small GETs) at once and queues every answer until the one before it is written, so 20 such
  // clients on /size/16KB held ~180 MB. uWS stops reading behind an unanswered request. Here at most
  // MaxAhead answers per connection are in the making; later requests wait, with no body made, and the
  // connection reads nothing more until they are all answered (node's own resume on drain included), so
  // what waits is at most the rest of one read. A connection with more than MaxDeferred waiting is closed.
  private dispatch(msg: IncomingMessage, res: ServerResponse): void {
    const s = msg.socket as DeferringSocket;
    if (s.destroyed) return;
    const waiting = s.mockDeferred;
    if ((s.mockAhead ?? 0) >= MaxAhead || (waiting !== undefined && waiting.length > 0)) {
      this.defer(s, msg, res);
      return;
    }
    this.handle(msg, res);
  }

  private defer(s: DeferringSocket, msg: IncomingMessage, res: ServerResponse): void {
    let waiting = s.mockDeferred;
    if (waiting === undefined) {
      waiting = s.mockDeferred = [];
      // node resumes a socket it paused once its queued answers drain; not while requests wait here.
      s.resume = resumeUnlessWaiting;
    }
    if (waiting.length >= 2 * MaxDeferred) {
      waiting.length = 0;
      s.destroy();
      return;
    }
    waiting.push(msg, res);
    s.pause();
  }

  // One answer of this connection completed (or was cut): start the waiting requests that now fit.
  private answered(s: DeferringSocket): void {
    s.mockAhead = (s.mockAhead ?? 1) - 1;
    const q = s.mockDeferred;
    if (q === undefined || q.length === 0 || s.destroyed) return;
    let i = 0;
    while (i < q.length && (s.mockAhead ?? 0) < MaxAhead && !s.destroyed) {
      this.handle(q[i] as IncomingMessage, q[i + 1] as ServerResponse);
      i += 2;
    }
    q.splice(0, i);
    // Resumed only when node did not pause it too (node resumes its own pause, with its parser, on drain).
    if (q.length === 0 && !s.destroyed && s._paused !== true) NetSocket.prototype.resume.call(s);
  }

  private handle(msg: IncomingMessage, res: ServerResponse): void {
    // Node would add "Keep-Alive: timeout=10" to every answer (uWS sends none); this field feeds only that
    // header (Node 20.20 and 24.22, checked: idle connections still close after keepAliveTimeout).
    (res as unknown as { _keepAliveTimeout: number })._keepAliveTimeout = 0;
    const response = new PortableResponse(msg, res);
    const s = msg.socket as DeferringSocket;
    s.mockAhead = (s.mockAhead ?? 0) + 1;
    // 'close' comes once per response, after it finished or when its connection went away.
    res.once('close', () => this.answered(s));
    // uWS closes the connection when no route takes the request (probed: no response at all).
    if (!this.route(msg, response)) msg.socket.destroy();
  }

  // 403 with the reason, and the connection closed: a gateway misconfigured for mutual TLS sees why.
  private refuseClient(response: PortableResponse, s: TLSSocket): void {
    const reason = certificateProblem(s);
    response.writeStatus('403 Forbidden');
    response.writeHeader('content-type', 'application/json');
    response.end(clientCertRefusal(reason), true);
    this.gateway.onRefused?.('client-cert', reason);
  }

  /**
   * Offer one request to the routes in uWS's order, with `response` as the handlers' res; false when no
   * route answered. The request adapter is bound to msg only while the handlers run.
   */
  protected route(msg: RequestSource, response: PortableResponse): boolean {
    const url = msg.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = PortableRequest.lower(msg.method ?? '');
    if (this.requireClientCert) {
      const s = (msg.socket ?? null) as TLSSocket | null;
      if (s !== null && s.authorized !== true) {
        this.refuseClient(response, s);
        return true;
      }
    }
    const req = this.req;
    req.reset(msg, path, q < 0 ? undefined : url.slice(q + 1), method);
    this.current = response;
    try {
      // A target that is not a path (absolute-form, '*') matches no route, as in uWS.
      return path.charCodeAt(0) === 47 && this.router.route(method, path.slice(1).split('/'), this.run);
    } finally {
      req.reset(null);
      this.current = null;
    }
  }
}

/** Why a TLS client's certificate was refused, in words (node's authorizationError codes). */
export function certificateProblem(s: TLSSocket): string {
  const err = s.authorizationError as Error | string | null | undefined;
  const code = typeof err === 'string' ? err : err?.message ?? '';
  const cert = typeof s.getPeerCertificate === 'function' ? s.getPeerCertificate() : null;
  if (cert === null || Object.keys(cert).length === 0) return 'the client sent no certificate (mutual TLS, --tls-ca)';
  return `the client certificate did not verify against --tls-ca (${code || 'unknown reason'})`;
}

// The answer to an Upgrade request, over its raw socket: no Keep-Alive header (see handle()).
function answerFor(msg: IncomingMessage): ServerResponse {
  const res = new ServerResponse(msg);
  (res as unknown as { _keepAliveTimeout: number })._keepAliveTimeout = 0;
  return res;
}

/** Read the TLS files an SSLApp is built with (the error names the file, as uWS's construction error does). */
export function readTls(files: TlsFiles): TlsMaterial {
  try {
    const pair = { cert: readFileSync(files.cert_file_name), key: readFileSync(files.key_file_name) };
    return files.ca_file_name === undefined ? pair : { ...pair, ca: readFileSync(files.ca_file_name) };
  } catch (err) {
    throw new Error(`App construction failed: ${(err as Error).message}`, { cause: err });
  }
}

/** The portable engine: node:http/node:https behind the uWS module surface the runtime uses. */
export function createPortableEngine(): Engine {
  return {
    name: 'portable',
    App: (options) => new PortableApp(null, options),
    SSLApp: (files, options) => new PortableApp(readTls(files), options),
    // net's close, not http's: http.Server.close() also closes idle keep-alive connections (Node 19+), and
    // uWS's listener close leaves every connection open (a draining worker still answers on them).
    us_listen_socket_close: (token) => { NetServer.prototype.close.call(listener(token).server); },
    us_socket_local_port: (token) => (listener(token).server.address() as AddressInfo).port,
    LIBUS_LISTEN_EXCLUSIVE_PORT: ExclusivePort,
    DISABLED: Disabled,
    SHARED_COMPRESSOR: SharedCompressor,
  };
}

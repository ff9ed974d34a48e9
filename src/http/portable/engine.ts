// The portable engine: the uWS module surface (App, SSLApp, listen, close, listener tokens) on node:http
// and node:https, for Node versions without a native uWebSockets.js build. It imports nothing of uWS, so it
// loads on any Node. Node does the HTTP/1.1 work (parsing, keep-alive, pipelining order, HEAD framing,
// chunked bodies); the router and the request/response adapters give handlers uWS's semantics.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { AppHandler, Engine, EngineApp, ListenToken, TlsFiles } from '../engine.js';
import { PortableRequest } from './request.js';
import { PortableResponse } from './response.js';
import { Router, type Runner } from './router.js';

/** listen() option meaning "do not share the port" (the native build's value). */
export const ExclusivePort = 1;

/**
 * Server limits, close to uWS's: idle keep-alive connections close after 10 s (uWS ~10 s); a client has
 * 15 s to send its head and 60 s for its whole request, so a slow client cannot hold a parser's memory
 * (uWS has no such bound but reads everything at once); heads up to 16 KB (node's default; uWS takes a
 * larger head in one read, 4 KB across reads). Responses themselves never time out, as with uWS.
 */
export const Limits = { keepAliveTimeoutMs: 10_000, headersTimeoutMs: 15_000, requestTimeoutMs: 60_000, maxHeaderSize: 16 * 1024 } as const;

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

class Listener {
  constructor(readonly server: Server) {}
}

function listener(token: ListenToken): Listener {
  if (!(token instanceof Listener)) throw new TypeError('not a listen token of the portable engine');
  return token;
}

/** An app of the portable engine: uWS's routing over one or more node servers. */
class PortableApp implements EngineApp {
  private readonly router = new Router();
  private readonly req = new PortableRequest(this.router);
  private readonly servers = new Set<Server>();
  private current: PortableResponse | null = null;
  // One runner for every request: the response being routed is a field, so routing allocates no closure.
  private readonly run: Runner = (handler) => {
    const req = this.req;
    req.yielded = false;
    void handler(this.current as PortableResponse, req);
    return !req.yielded;
  };

  constructor(private readonly tls: { cert: Buffer; key: Buffer } | null) {}

  any(pattern: string, handler: AppHandler): this { this.router.add(null, pattern, handler); return this; }
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
    const failed = (): void => cb(false);
    server.once('error', failed);
    // uWS shares a port by default (SO_REUSEPORT); so do we where Node can.
    const reusePort = (options & ExclusivePort) === 0 && reusePortSupported();
    server.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.removeListener('error', failed);
      // Errors after listening (EMFILE on accept) are node's to retry; an unhandled 'error' would throw.
      server.on('error', () => {});
      this.servers.add(server);
      cb(new Listener(server));
    });
    return this;
  }

  close(): void {
    for (const s of this.servers) {
      s.close();
      // Pending responses see their socket close, so their onAborted runs (as with uWS's app.close()).
      s.closeAllConnections();
    }
    this.servers.clear();
  }

  private server(): Server {
    const opts: ServerOptions = { maxHeaderSize: Limits.maxHeaderSize, keepAliveTimeout: Limits.keepAliveTimeoutMs,
      headersTimeout: Limits.headersTimeoutMs, requestTimeout: Limits.requestTimeoutMs };
    const handle = (msg: IncomingMessage, res: ServerResponse): void => this.dispatch(msg, res);
    const server = this.tls === null ? createServer(opts, handle)
      : createTlsServer({ ...opts, cert: this.tls.cert, key: this.tls.key }, handle);
    // Responses never time out (uWS: a pending response waits for its timer, however long). Node's
    // default on a client's FIN is kept: like uWS, it aborts what is pending and closes, so a client that
    // leaves with destroy() (a FIN) aborts its responses at once (half-closing clients lose deferred answers
    // on both engines; test/hardening/hostile-http.test.ts has that as a todo).
    server.timeout = 0;
    // Each deferred response watches its socket's 'close'; many pipelined ones are not a leak.
    server.on('connection', (s: Socket) => s.setMaxListeners(0));
    return server;
  }

  private dispatch(msg: IncomingMessage, res: ServerResponse): void {
    const url = msg.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = PortableRequest.lower(msg.method ?? '');
    // Node would add "Keep-Alive: timeout=10" to every answer (uWS sends none); this field feeds only that
    // header (Node 20.20 and 24.22, checked: idle connections still close after keepAliveTimeout).
    (res as unknown as { _keepAliveTimeout: number })._keepAliveTimeout = 0;
    const response = new PortableResponse(msg, res);
    const req = this.req;
    req.reset(msg, path, q < 0 ? undefined : url.slice(q + 1), method);
    this.current = response;
    let answered: boolean;
    try {
      // A target that is not a path (absolute-form, '*') matches no route, as in uWS.
      answered = path.charCodeAt(0) === 47 && this.router.route(method, path.slice(1).split('/'), this.run);
    } finally {
      req.reset(null);
      this.current = null;
    }
    // uWS closes the connection when no route takes the request (probed: no response at all).
    if (!answered) msg.socket.destroy();
  }
}

function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(files.cert_file_name), key: readFileSync(files.key_file_name) };
  } catch (err) {
    throw new Error(`App construction failed: ${(err as Error).message}`, { cause: err });
  }
}

/** The portable engine: node:http/node:https behind the uWS module surface the runtime uses. */
export function createPortableEngine(): Engine {
  return {
    name: 'portable',
    App: () => new PortableApp(null),
    SSLApp: (files) => new PortableApp(readTls(files)),
    us_listen_socket_close: (token) => { listener(token).server.close(); },
    us_socket_local_port: (token) => (listener(token).server.address() as AddressInfo).port,
    LIBUS_LISTEN_EXCLUSIVE_PORT: ExclusivePort,
  };
}

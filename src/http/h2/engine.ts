// The h2 engine: the engine boundary on node:http2 (nghttp2 inside), for the --h2-port listener. It reuses
// the portable engine's app (router, request adapter, HTTP/1.1 servers): each HTTP/2 stream becomes a
// compat Http2ServerRequest/Response pair routed exactly like a node:http request, answered through
// H2Response. Cleartext listeners speak h2c with prior knowledge; with TLS files one port speaks h2 and
// HTTP/1.1, chosen by ALPN: an `http/1.1` connection goes to the portable engine's own HTTP/1.1 server (the
// same code, so it answers exactly as the portable engine does), an `h2` one to the HTTP/2 server.
import {
  constants, createServer as createH2Server, Http2ServerRequest, Http2ServerResponse,
  type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream,
} from 'node:http2';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { ReadableOptions } from 'node:stream';
import type { Engine, GatewayOptions, ListenToken, TlsFiles } from '../engine.js';
import { ExclusivePort, PortableApp, readTls, reusePortSupported, type TlsMaterial } from '../portable/engine.js';
import type { RequestSource } from '../portable/request.js';
import { Disabled, SharedCompressor } from '../portable/websocket.js';
import { Scheduler, type Task } from '../scheduler.js';
import { F } from '../../observe/counters.js';
import { DefaultH2MaxFrameBytes, DefaultH2MaxStreams, DefaultH2WindowBytes, DefaultH2IdleMs } from '../../config/defaults.js';
import { H2Response, type GoawaySender } from './response.js';

/** HTTP/2 settings of the listener (--h2-* flags). */
export interface H2Settings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE (bytes). */
  readonly window: number;
  /** SETTINGS_MAX_FRAME_SIZE (bytes). */
  readonly maxFrame: number;
  /** GOAWAY every session after this many streams (0: never). */
  readonly goawayAfterStreams: number;
  /** GOAWAY every session this long after it opened (ms; 0: never). */
  readonly goawayAfterMs: number;
  /** GOAWAY a session with no frames either way for this long (ms; 0: never). */
  readonly idleMs: number;
}

/** The protocol's defaults, with the stream limit at 100 (nghttp2's own is unlimited); no GOAWAY of our own. */
export const DefaultH2Settings: H2Settings = {
  maxStreams: DefaultH2MaxStreams, window: DefaultH2WindowBytes, maxFrame: DefaultH2MaxFrameBytes, goawayAfterStreams: 0, goawayAfterMs: 0, idleMs: DefaultH2IdleMs,
};

/**
 * Takes a stream before the routes see it (gRPC: content-type application/grpc*); true when it took the
 * stream (and answers it itself), false to let the compat routing answer.
 */
export type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

/** Where the listener's gauges and counters go (the worker's counters: F.h2Sessions, F.h2Streams, F.h2Goaways). */
export interface H2Meter {
  add(field: number, delta: number): void;
}

const noStreams: StreamHandler = () => false;
const noMeter: H2Meter = { add() {} };
function ignore(): void {}

/** A session with the count of streams it opened (for --h2-goaway-after N) and its GOAWAY timer's slot. */
interface CountedSession extends ServerHttp2Session {
  mockStreams?: number;
  mockTimer?: number;
}

/** An HTTP/2 listener: the server accepting, and the app whose sessions get GOAWAY when it stops. */
class H2Listener {
  constructor(readonly server: NetServer, readonly app: H2App) {}
}

function h2Listener(token: ListenToken): H2Listener {
  if (!(token instanceof H2Listener)) throw new TypeError('not a listen token of the h2 engine');
  return token;
}

/** An app of the h2 engine: the portable app's routes, served to HTTP/2 streams (and HTTP/1.1 over ALPN). */
export class H2App extends PortableApp implements GoawaySender {
  /** The gRPC hook (src/features/grpc/ plugs in here): offered every application/grpc stream first. */
  grpc: StreamHandler = noStreams;
  /** The worker's counters, once the app is built. */
  meter: H2Meter = noMeter;
  private readonly sessions = new Set<CountedSession>();
  /** TLS connections (either protocol), destroyed by close(). */
  private readonly sockets = new Set<Socket>();
  private readonly fronts = new Set<NetServer>();
  /** --h2-goaway-after DURATION timers, one per session, on one task scheduler. */
  private readonly timers = new Scheduler();
  private readonly timeUp: Task = { run: (session) => this.goaway(session as Http2Session) };
  private readonly streamClosed = (): void => this.meter.add(F.h2Streams, -1);

  constructor(private readonly settings: H2Settings, private readonly files: TlsMaterial | null, options: GatewayOptions = {}) {
    // The HTTP/1.1 server behind ALPN gets decrypted sockets: the base app is plain; TLS is tlsFront's.
    // Only the refusal hook applies here (--proxy-protocol is the data port's).
    super(null, { onRefused: options.onRefused });
    this.requireClientCert = files?.ca !== undefined;
  }

  /** Send GOAWAY (graceful: streams open finish, new ones go to a new connection), once per session. */
  goaway(session: Http2Session): void {
    if (session.closed || session.destroyed) return;
    session.close();
    this.meter.add(F.h2Goaways, 1);
  }

  /** GOAWAY to every open session (the listener stopped: a draining worker). */
  goawayAll(): void {
    for (const s of this.sessions) this.goaway(s);
  }

  override listen(host: string, port: number, cb: (token: ListenToken | false) => void): this;
  override listen(host: string, port: number, options: number, cb: (token: ListenToken | false) => void): this;
  override listen(host: string, port: number, a: number | ((token: ListenToken | false) => void), b?: (token: ListenToken | false) => void): this {
    const cb = typeof a === 'function' ? a : b;
    const options = typeof a === 'number' ? a : 0;
    if (cb === undefined) throw new TypeError('listen needs a callback');
    const h2 = this.h2Server();
    const front: NetServer = this.files === null ? h2 : this.tlsFront(h2, this.files);
    const failed = (): void => cb(false);
    front.once('error', failed);
    const reusePort = (options & ExclusivePort) === 0 && reusePortSupported();
    front.listen({ host, port, ...(reusePort ? { reusePort: true } : {}) }, () => {
      front.removeListener('error', failed);
      front.on('error', ignore);
      this.fronts.add(front);
      cb(new H2Listener(front, this));
    });
    return this;
  }

  override close(): void {
    super.close();
    for (const f of this.fronts) NetServer.prototype.close.call(f);
    this.fronts.clear();
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }

  private h2Server(): Http2Server {
    const { maxStreams, window, maxFrame } = this.settings;
    // Floods (SETTINGS, PING, RST_STREAM, invalid frames) are bounded by node's defaults: maxOutstandingSettings,
    // maxOutstandingPings, maxSessionInvalidFrames, maxSessionRejectedStreams; test/http/h2.test.ts (the flood tests).
    const server = createH2Server({ settings: { maxConcurrentStreams: maxStreams, initialWindowSize: window, maxFrameSize: maxFrame } });
    server.on('session', (session: CountedSession) => this.opened(session));
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => this.stream(stream, headers, rawHeaders));
    server.on('sessionError', ignore);
    return server;
  }

  // One TLS port, two protocols: ALPN's choice sends each connection to the HTTP/2 or the HTTP/1.1 server.
  private tlsFront(h2: Http2Server, files: TlsMaterial): NetServer {
    const http1 = this.server();
    // --tls-ca: as on the data port, a client without a verified certificate is answered 403 (route()).
    const mtls = files.ca === undefined ? {} : { ca: files.ca, requestCert: true, rejectUnauthorized: false };
    const front = createTlsServer({ cert: files.cert, key: files.key, ALPNProtocols: ['h2', 'http/1.1'], ...mtls }, (socket: TLSSocket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
      else http1.emit('connection', socket);
    });
    front.on('tlsClientError', ignore);
    return front;
  }

  private opened(session: CountedSession): void {
    this.sessions.add(session);
    this.meter.add(F.h2Sessions, 1);
    const ms = this.settings.goawayAfterMs;
    if (ms > 0) session.mockTimer = this.timers.scheduleTask(ms, this.timeUp, session, 0);
    // Idle: node's session timer (re-armed by every frame either way) fires once per quiet period; GOAWAY is
    // graceful, so a stream still open (a quiet Watch) finishes first. One closure per connection, not per stream.
    if (this.settings.idleMs > 0) session.setTimeout(this.settings.idleMs, () => this.goaway(session));
    session.once('close', () => {
      this.sessions.delete(session);
      this.meter.add(F.h2Sessions, -1);
      if (session.mockTimer !== undefined) this.timers.cancel(session.mockTimer);
    });
  }

  private stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    this.meter.add(F.h2Streams, 1);
    stream.once('close', this.streamClosed);
    // A stream error (a reset while writing) is the client's doing: the stream closes, the worker goes on.
    stream.on('error', ignore);
    const session = stream.session as CountedSession | undefined;
    const after = this.settings.goawayAfterStreams;
    if (after > 0 && session !== undefined) {
      const n = session.mockStreams = (session.mockStreams ?? 0) + 1;
      // This stream is answered; GOAWAY names it as the last, so the client opens a new connection after it.
      if (n === after) this.goaway(session);
    }
    const type = headers['content-type'];
    if (type !== undefined && type.startsWith('application/grpc') && this.grpc(stream, headers)) return;
    // What node's compat layer does on 'stream' (a 'request' listener would also turn it on for every stream).
    const req = new Http2ServerRequest(stream, headers, undefined as unknown as ReadableOptions, rawHeaders);
    const res = new Http2ServerResponse(stream);
    // No route answers a :path that is not a path (CONNECT, '*'): the stream is cancelled, as uWS closes.
    if (!this.route(req as RequestSource, new H2Response(req, res, this))) stream.close(constants.NGHTTP2_CANCEL);
  }
}

/** The h2 engine's module surface (the part the runtime uses; its name says it is not an HTTP/1.1 engine). */
export interface H2Engine extends Pick<Engine, 'us_listen_socket_close' | 'us_socket_local_port' | 'LIBUS_LISTEN_EXCLUSIVE_PORT' | 'DISABLED' | 'SHARED_COMPRESSOR'> {
  readonly name: 'h2';
  App(): H2App;
  SSLApp(files: TlsFiles, options?: GatewayOptions): H2App;
}

/** The h2 engine with these settings: App() is h2c (prior knowledge), SSLApp() h2 and HTTP/1.1 by ALPN. */
export function createH2Engine(settings: H2Settings = DefaultH2Settings): H2Engine {
  return {
    name: 'h2',
    App: () => new H2App(settings, null),
    SSLApp: (files, options) => new H2App(settings, readTls(files), options),
    // Stop accepting, and GOAWAY every open session: in-flight streams finish, clients reconnect elsewhere.
    us_listen_socket_close: (token) => {
      const l = h2Listener(token);
      NetServer.prototype.close.call(l.server);
      l.app.goawayAll();
    },
    us_socket_local_port: (token) => (h2Listener(token).server.address() as AddressInfo).port,
    LIBUS_LISTEN_EXCLUSIVE_PORT: ExclusivePort,
    DISABLED: Disabled,
    SHARED_COMPRESSOR: SharedCompressor,
  };
}

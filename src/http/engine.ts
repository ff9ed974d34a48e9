// The engine boundary: the request and response surface that routes, controls and the writer use. It is
// the subset of uWebSockets.js's HttpRequest/HttpResponse we call, so uWS's own objects satisfy it as they
// are (no wrapper, nothing added on the native hot path); another engine (node:http for Node versions
// without a native build, node:http2) implements the same interface over its own objects.

/** Bytes as uWS takes them: ArrayBuffers and views are passed by pointer, strings are copied as UTF-8. */
export type Bytes = ArrayBuffer | ArrayBufferView | string;

/** One request, readable only synchronously inside the handler that received it. */
export interface EngineRequest {
  /** A request header by its lower-case name (hot names are precomputed ArrayBuffers); '' when absent. */
  getHeader(lowerCaseName: Bytes): string;
  /** A `:name` path parameter by position. */
  getParameter(index: number): string | undefined;
  /** The path, without the query string. */
  getUrl(): string;
  /** The method in lower case (uWS 20.30), for comparisons. */
  getMethod(): string;
  /** The method as the client sent it. */
  getCaseSensitiveMethod(): string;
  /** The whole query string (no '?'; undefined when the URL has none, as uWS 20.30 answers), or one decoded parameter (undefined when absent). */
  getQuery(): string | undefined;
  getQuery(name: string): string | undefined;
  /** Every header, lower-case names, in arrival order. */
  forEach(cb: (name: string, value: string) => void): void;
  /** Hand the request to the next matching route. */
  setYield(yieldToNext: boolean): unknown;
}

/** One response. Writes outside the handler must run inside cork(); after onAborted fired, nothing may be called. */
export interface EngineResponse {
  /** The status line after "HTTP/1.1 " (e.g. "503 Service Unavailable", or several header lines joined by CRLF). */
  writeStatus(status: Bytes): unknown;
  writeHeader(name: Bytes, value: Bytes): unknown;
  /** A chunk of a chunked body; false under backpressure. */
  write(chunk: Bytes): boolean;
  /** The body, with Content-Length; closeConnection adds `Connection: close` and closes after it. */
  end(body?: Bytes, closeConnection?: boolean): unknown;
  /** Headers only; with a length, `Content-Length: length` (HEAD, 304). */
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): unknown;
  /** Part of a body of totalSize bytes: [written in full, response complete]. */
  tryEnd(chunk: Bytes, totalSize: number): [boolean, boolean];
  /** Body bytes written so far (for resuming in onWritable). */
  getWriteOffset(): number;
  /** Called when the socket drains after backpressure; return true when the write was retried. */
  onWritable(handler: (offset: number) => boolean): unknown;
  /** Called once if the client goes away before the response is complete. */
  onAborted(handler: () => void): unknown;
  /** Request body chunks; isLast on the final one. The chunk is only valid during the call. */
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): unknown;
  /** Batch the writes of cb into one syscall; required for writes outside the handler. */
  cork(cb: () => void): unknown;
  /** Close the connection at once. */
  close(): unknown;
  /** The peer address as text. */
  getRemoteAddressAsText(): ArrayBuffer;
  /** The client address a PROXY protocol header named; empty when there was none (uWS: version 2 only). */
  getProxiedRemoteAddressAsText(): ArrayBuffer;
  /**
   * Accept a WebSocket upgrade (only inside a WsBehavior's upgrade handler, or corked after it deferred):
   * userData becomes the socket's, extensions '' declines permessage-deflate.
   */
  upgrade<U>(userData: U, secWebSocketKey: Bytes, secWebSocketProtocol: Bytes, secWebSocketExtensions: Bytes, context: WsContext): void;
}

/** The opaque context an upgrade handler is given and hands back to upgrade(). */
export type WsContext = object;

/** One open WebSocket (uWS's WebSocket, the part we use). Valid from open until close; nothing after. */
export interface EngineWebSocket<U> {
  /** Send one message: 1 sent, 0 sent but buffered (backpressure), 2 dropped (over maxBackpressure). */
  send(message: Bytes, isBinary?: boolean, compress?: boolean): number;
  /** Close with a code and reason (a close frame; close() is called after). */
  end(code?: number, shortMessage?: Bytes): void;
  /** Drop the connection at once, without a close frame. */
  close(): unknown;
  /** Bytes queued and not yet taken by the socket. */
  getBufferedAmount(): number;
  /** What upgrade() was given. */
  getUserData(): U;
  /** Batch the writes of cb; required for sends outside the socket's own callbacks. */
  cork(cb: () => void): unknown;
}

/** A WebSocket route (uWS's WebSocketBehavior, the part we use). */
export interface WsBehavior<U> {
  /** Largest message taken; a larger one drops the connection (uWS: code 1006, no close frame). */
  maxPayloadLength?: number;
  /** Seconds without traffic before the engine closes the socket; 0: never. */
  idleTimeout?: number;
  /** permessage-deflate: engine.DISABLED or engine.SHARED_COMPRESSOR (negotiated when upgrade() passes the client's extensions). */
  compression?: number;
  /** Buffered bytes past which send() drops (returns 2). */
  maxBackpressure?: number;
  /** Decide: res.upgrade(...) now, answer HTTP (refuse), or register onAborted and upgrade later (corked). */
  upgrade(res: EngineResponse, req: EngineRequest, context: WsContext): void;
  open?(ws: EngineWebSocket<U>): void;
  /** A whole message; the ArrayBuffer is valid only during the call. */
  message?(ws: EngineWebSocket<U>, message: ArrayBuffer, isBinary: boolean): void;
  /** The socket took what was buffered: sending may go on. */
  drain?(ws: EngineWebSocket<U>): void;
  /** The socket is gone (any reason); it must not be used after. */
  close?(ws: EngineWebSocket<U>, code: number, message: ArrayBuffer): void;
}

/** A route handler: reads req synchronously, answers now or registers onAborted and answers later. */
export type EngineHandler = (res: EngineResponse, req: EngineRequest) => void;

/** What listen() hands back: an opaque listener, to close it or ask its port. */
export type ListenToken = object;

/** TLS files, as uWS's SSLApp takes them. */
export interface TlsFiles {
  cert_file_name: string;
  key_file_name: string;
  /**
   * CA bundle (PEM) that client certificates must chain to (--tls-ca): mutual TLS. uWS 20.30 takes it but
   * only checks a certificate the client chose to send, and cannot show it; the portable engines require one.
   */
  ca_file_name?: string;
}

/** What an engine refused before any route saw the request (counted by the caller). */
export type Refusal = 'proxy-header' | 'client-cert';

/** The portable engines' options beyond uWS's (engines.ts serves on them when one is asked for). */
export interface GatewayOptions {
  /** Every connection starts with a PROXY protocol header (v1 or v2); one without is closed. */
  readonly proxyProtocol?: boolean;
  /** Told of each refusal: a connection closed for its PROXY header, a request answered 403 for its certificate. */
  readonly onRefused?: (kind: Refusal, reason: string) => void;
}

/** A route handler as uWS types it: the engine may await nothing, but uWS allows an async handler. */
export type AppHandler = (res: EngineResponse, req: EngineRequest) => void | Promise<void>;

/** One app: routes, listeners and their connections (uWS's TemplatedApp, the part we use; nothing is chained). */
export interface EngineApp {
  any(pattern: string, handler: AppHandler): unknown;
  get(pattern: string, handler: AppHandler): unknown;
  post(pattern: string, handler: AppHandler): unknown;
  put(pattern: string, handler: AppHandler): unknown;
  del(pattern: string, handler: AppHandler): unknown;
  patch(pattern: string, handler: AppHandler): unknown;
  options(pattern: string, handler: AppHandler): unknown;
  head(pattern: string, handler: AppHandler): unknown;
  /** Listen; cb gets a token, or false when the port cannot be had. options: LIBUS_LISTEN_EXCLUSIVE_PORT or 0. */
  listen(host: string, port: number, cb: (token: ListenToken | false) => void): unknown;
  listen(host: string, port: number, options: number, cb: (token: ListenToken | false) => void): unknown;
  /** Close every listener and every connection (pending responses see onAborted). */
  close(): unknown;
  /** A WebSocket route: GET requests to pattern with upgrade headers go to behavior.upgrade; others fall through to the HTTP routes. */
  ws<U>(pattern: string, behavior: WsBehavior<U>): unknown;
}

/**
 * The module surface the runtime uses: the loaded uWebSockets.js module satisfies it as it is (name
 * aside: see nativeEngine in uws.ts); createPortableEngine() implements it on node:http.
 */
export interface Engine {
  readonly name: 'native' | 'portable';
  App(options?: GatewayOptions): EngineApp;
  SSLApp(files: TlsFiles, options?: GatewayOptions): EngineApp;
  /** Stop accepting on this listener; open connections stay. */
  us_listen_socket_close(token: ListenToken): void;
  /** The port a listener got (the real one after listen(port 0)). */
  us_socket_local_port(token: ListenToken): number;
  /** listen() option: fail instead of sharing the port (no SO_REUSEPORT). */
  readonly LIBUS_LISTEN_EXCLUSIVE_PORT: number;
  /** WsBehavior.compression: no permessage-deflate. */
  readonly DISABLED: number;
  /** WsBehavior.compression: permessage-deflate with one shared compressor (no context takeover). */
  readonly SHARED_COMPRESSOR: number;
}

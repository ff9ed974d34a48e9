// The engine boundary: the request and response surface that routes, controls and the writer use. It is
// the subset of uWebSockets.js's HttpRequest/HttpResponse we call, so uWS's own objects satisfy it as they
// are (no wrapper, nothing added on the native hot path); another engine (node:http for Node versions
// without a native build, node:http2) implements the same interface over its own objects.

/** Bytes as uWS takes them: ArrayBuffers and views are passed by pointer, strings are copied as UTF-8. */
export type Bytes = ArrayBuffer | ArrayBufferView | string;

/** One request, readable only synchronously inside the handler that received it. */
export interface EngineRequest {
  /** A request header by its lower-case name; '' when absent. */
  getHeader(lowerCaseName: string): string;
  /** A `:name` path parameter by position. */
  getParameter(index: number): string | undefined;
  /** The path, without the query string. */
  getUrl(): string;
  /** The method in lower case (uWS 20.30), for comparisons. */
  getMethod(): string;
  /** The method as the client sent it. */
  getCaseSensitiveMethod(): string;
  /** The whole query string (no '?'), or one decoded parameter (undefined when absent). */
  getQuery(): string;
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
}

/** A route handler: reads req synchronously, answers now or registers onAborted and answers later. */
export type EngineHandler = (res: EngineResponse, req: EngineRequest) => void;

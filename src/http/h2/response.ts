// The h2 engine's response: the portable engine's adapter (uWS's HttpResponse over node's response) on
// node:http2's compat Http2ServerResponse, with HTTP/2's rules: no reason phrase, no connection-specific
// headers (Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection: nghttp2 refuses them),
// and a `Connection: close` the writer asks for (the `close` and `goaway` controls) becomes a GOAWAY on the
// session once this response is out: the stream ends normally, the client opens a new connection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session, OutgoingHttpHeaders } from 'node:http2';
import { PortableResponse } from '../portable/response.js';

/** What a response asks of its app: a graceful GOAWAY on its session. */
export interface GoawaySender {
  goaway(session: Http2Session): void;
}

/**
 * Whether a header name is connection-specific (RFC 9113 8.2.2; TE and HTTP2-Settings belong to requests): node
 * throws on them in a response. The length test keeps the common names from being lower-cased.
 */
export function connectionSpecific(name: string): boolean {
  const n = name.length;
  if (n !== 10 && n !== 7 && n !== 17 && n !== 16 && n !== 2 && !(n === 14 && (name.charCodeAt(0) | 0x20) === 0x68)) return false;
  const lower = name.toLowerCase();
  return lower === 'connection' || lower === 'keep-alive' || lower === 'upgrade' || lower === 'transfer-encoding' || lower === 'proxy-connection' ||
    lower === 'te' || lower === 'http2-settings';
}

// The names node:http2 sends at most once (its kSingleValueHeaders a response can carry, probed on Node 20 and 24):
// a head repeating one (header=Age:1&header=Age:2) makes respond() throw.
const SingleValue: ReadonlySet<string> = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/** Whether a flat [name, value, ...] head repeats a name HTTP/2 sends once; names are lower-cased only when their lengths match. */
function repeatsSingleValue(headers: readonly string[]): boolean {
  for (let i = 2; i < headers.length; i += 2) {
    const name = headers[i];
    for (let j = 0; j < i; j += 2) {
      if (headers[j].length !== name.length) continue;
      const lower = name.toLowerCase();
      if (headers[j].toLowerCase() === lower && SingleValue.has(lower)) return true;
    }
  }
  return false;
}

/** The head with each single-value name once, with its last value (a header control's value wins over the route's). */
function lastOfEach(headers: readonly string[]): string[] {
  const last = new Map<string, number>();
  for (let i = 0; i < headers.length; i += 2) last.set(headers[i].toLowerCase(), i);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i].toLowerCase();
    if (!SingleValue.has(lower) || last.get(lower) === i) out.push(headers[i], headers[i + 1]);
  }
  return out;
}

/** uWS's response surface over one HTTP/2 stream (through node's compat response). */
export class H2Response extends PortableResponse {
  constructor(private readonly h2req: Http2ServerRequest, private readonly h2res: Http2ServerResponse, private readonly app: GoawaySender) {
    // The base class uses only what both APIs share: write/end/writeHead's effect, 'drain'/'finish' and
    // req.socket (the compat proxy: remoteAddress from the session's socket, destroy() resets the stream).
    super(h2req as unknown as IncomingMessage, h2res as unknown as ServerResponse);
  }

  /** Fault injection (features/faults.ts): end this stream with RST_STREAM and `code` (the session goes on). */
  resetStream(code: number): void {
    this.h2req.stream.close(code);
  }

  protected override writeHead(code: number, _reason: string, headers: string[]): void {
    let out = headers;
    for (let i = 0; i < headers.length; i += 2) {
      if (connectionSpecific(headers[i])) {
        out = this.strip(headers);
        break;
      }
    }
    if (repeatsSingleValue(out)) out = lastOfEach(out);
    // A 1xx status cannot end an HTTP/2 response (node throws): it goes out as 502, the nearest honest answer.
    // Flat [name, value, ...] arrays are taken as node:http takes them (the types know only the object form).
    this.h2res.writeHead(code < 200 ? 502 : code, out as unknown as OutgoingHttpHeaders);
  }

  // Without the connection-specific headers; `Connection: close` among them asks for a GOAWAY after this response.
  private strip(headers: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (!connectionSpecific(name)) out.push(name, headers[i + 1]);
      else if (name.toLowerCase() === 'connection' && headers[i + 1].toLowerCase().includes('close')) this.closeAfterFinish();
    }
    return out;
  }

  protected override closeAfterFinish(): void {
    const session = this.h2req.stream.session;
    if (session === undefined) return;
    if (this.h2res.writableFinished) this.app.goaway(session);
    else this.h2res.once('finish', () => this.app.goaway(session));
  }

  protected override abortSource(): NodeJS.EventEmitter {
    // The stream: it closes when the response completed or when the client reset it (or its session went).
    return this.h2req.stream;
  }
}

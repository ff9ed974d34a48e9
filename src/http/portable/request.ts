// The portable engine's request: uWS's HttpRequest over node's IncomingMessage. One object per app serves
// every request, valid only while the handler runs (as uWS's req is): nothing is allocated to route.
import type { Socket } from 'node:net';
import type { Bytes, EngineRequest } from '../engine.js';
import type { Router } from './router.js';

// Node's parser accepts upper-case methods only; lower-casing through a table allocates nothing.
const Lower: Record<string, string> = {};
for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']) Lower[m] = m.toLowerCase();

/**
 * What the adapter reads of a request: node:http's IncomingMessage, or node:http2's Http2ServerRequest
 * (whose rawHeaders start with the pseudo-headers :method, :path, :authority, :scheme).
 */
export interface RequestSource {
  readonly rawHeaders: string[];
  readonly method?: string;
  readonly url?: string;
  /** The connection (a TLS socket's certificate is read from it with --tls-ca). */
  readonly socket?: Socket | null;
}

/** uWS's request surface over node's; reset() binds it to the request being routed. */
export class PortableRequest implements EngineRequest {
  /** Set by setYield(true): the router then offers the request to the next matching route. */
  yielded = false;
  private msg: RequestSource | null = null;
  private path = '';
  private query: string | undefined = undefined;
  private method = '';

  constructor(private readonly router: Router) {}

  /** Bind to a request (path and query already split); unbind with reset(null). */
  reset(msg: RequestSource | null, path = '', query: string | undefined = undefined, method = ''): void {
    this.msg = msg;
    this.path = path;
    this.query = query;
    this.method = method;
    this.yielded = false;
  }

  /** The lower-case form of a method node's parser accepted. */
  static lower(method: string): string {
    return Lower[method] ?? method.toLowerCase();
  }

  private bound(): RequestSource {
    if (this.msg === null) throw new Error('the request is valid only inside its handler (read what you need before deferring)');
    return this.msg;
  }

  getHeader(lowerCaseName: Bytes): string {
    // The first header of that name, as uWS answers (node's req.headers joins or drops repeats).
    const raw = this.bound().rawHeaders;
    const name = typeof lowerCaseName === 'string' ? lowerCaseName : nameText(lowerCaseName);
    for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i], name)) return raw[i + 1];
    // HTTP/2 carries the host as the :authority pseudo-header (looked up only when no Host header came).
    if (name === 'host') for (let i = 0; i < raw.length; i += 2) if (raw[i] === ':authority') return raw[i + 1];
    return '';
  }

  getParameter(index: number): string {
    this.bound();
    // uWS 20.30 answers '' past the last parameter (probed).
    return index >= 0 && index < this.router.paramCount ? this.router.params[index] : '';
  }

  getUrl(): string {
    this.bound();
    return this.path;
  }

  getMethod(): string {
    this.bound();
    return this.method;
  }

  getCaseSensitiveMethod(): string {
    return this.bound().method ?? '';
  }

  getQuery(): string | undefined;
  getQuery(name: string): string | undefined;
  getQuery(name?: string): string | undefined {
    this.bound();
    if (name === undefined) return this.query;
    return this.query === undefined ? undefined : queryValue(this.query, name);
  }

  forEach(cb: (name: string, value: string) => void): void {
    const raw = this.bound().rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      // HTTP/2's pseudo-headers are not headers (uWS never shows them): :authority is reported as host.
      if (name.charCodeAt(0) === 58) {
        if (name === ':authority') cb('host', raw[i + 1]);
        continue;
      }
      cb(name.toLowerCase(), raw[i + 1]);
    }
  }

  setYield(yieldToNext: boolean): this {
    this.yielded = yieldToNext;
    return this;
  }
}

// Header names the app precomputes as bytes (x-mock, x-delay) are decoded once and found by identity.
const names = new WeakMap<object, string>();
function nameText(b: ArrayBuffer | ArrayBufferView): string {
  let s = names.get(b);
  if (s === undefined) {
    s = (b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('latin1');
    names.set(b, s);
  }
  return s;
}

// ASCII case-insensitive compare against a lower-case name, without allocating a lower-cased copy.
function sameName(raw: string, lower: string): boolean {
  if (raw.length !== lower.length) return false;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The decoded value of the first `name=` in a raw query, as uWS's getQuery(name): '+' is a space, %XX
 * bytes are UTF-8; a key without '=' does not count. A malformed escape stays as written (uWS decodes it
 * to an arbitrary byte).
 */
export function queryValue(query: string, name: string): string | undefined {
  let at = 0;
  while (at <= query.length) {
    let end = query.indexOf('&', at);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', at);
    if (eq >= 0 && eq < end && eq - at === name.length && query.startsWith(name, at)) {
      return decode(query.slice(eq + 1, end));
    }
    at = end + 1;
  }
  return undefined;
}

function decode(v: string): string {
  if (v.indexOf('%') < 0 && v.indexOf('+') < 0) return v;
  const plus = v.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%[0-9a-fA-F]{2}/g, (e) => {
      try { return decodeURIComponent(e); } catch { return e; }
    });
  }
}

// Seeded generators of hostile HTTP requests for the fuzz pass (issue 15): raw request heads, bodies and
// admin payloads as bytes, so every byte on the wire is chosen here. A small PRNG (mulberry32) keeps a
// run reproducible from its seed alone, and every generated value is bounded (a few hundred KB at most).

/** A deterministic random source: the same seed draws the same sequence. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Whole number in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  /** True with probability p. */
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  /** A length skewed towards small values, sometimes up to max. */
  len(max: number): number { return this.chance(0.8) ? this.int(0, Math.min(max, 16)) : this.int(0, max); }
}

/** One generated request: the bytes to send, and what may legitimately happen to it. */
export interface FuzzCase {
  /** Generator family (for the report). */
  readonly family: string;
  /** Everything written on the socket. */
  readonly payload: Buffer;
  /** Why the server may close without answering (malformed framing, an unparsable head), or null. */
  readonly mayClose: string | null;
  /**
   * Why the server may never answer while the connection stays open (uWS drops a head with `_` in a
   * header name; a truncated body waits for the rest), or null: then no answer in time is a finding.
   */
  readonly mayHang: string | null;
  /** The request itself may choose a 5xx status (a status control, a configured route). */
  readonly may5xx: boolean;
}

const Routes = ['/json/valid', '/json/invalid', '/json', '/plaintext', '/delay/1ms', '/delay/0', '/size/10', '/size/1KB',
  '/status/200', '/status/418', '/bytes/16', '/drip', '/stream-bytes/100', '/anything', '/anything/a/b', '/echo', '/headers',
  '/resource', '/resource/5', '/payloads', '/payloads/', '/payloads/users-1kb.json', '/redirect/2', '/xml', '/soap',
  '/__mock/health', '/__mock/ready', '/__mock/stats', '/__mock/metrics', '/__mock/config', '/__mock/routes', '/__mock/requests',
  '/', '/nope'];
const Methods = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'get', 'post', 'Head', 'BREW', 'M-SEARCH', 'CONNECT', 'TRACE', 'PROPFIND'];
const Controls = ['delay', 'status', 'size', 'header', 'close'];
const Junk = ['', '0', '1', '-1', '1ms', '5ms', '99999999999', '1e309', 'NaN', '%', '%zz', '%00', '%FF%FE', '..', '{{', '}}',
  '__proto__', 'constructor', '503:50', '200:1,500:1', 'uniform(1ms,2ms)', 'X-A:1', 'Bad Name:1', 'a\tb', '1KB', '64KB', '1GB',
  '\u00e9', '\u{1F600}', '\\', '"', "'", '<x>', ';', ',', '&', '='];
const HeaderNames = ['X-A', 'x_underscore', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'X-Mock', 'X-Delay',
  'X-Delay-Percent', 'X-Mock-Status', 'X-Mock-Delay', 'X-Mock-Size', 'X-Mock-Header', 'X-Mock-Close', 'X-Mock-Nope', 'Content-Type',
  'Accept', 'Cookie', 'Expect', 'Upgrade', 'Host', 'Authorization', 'Content-Encoding'];

/** A path from the route table with random edits: extra segments, escapes, `..`, NUL and control bytes. */
function path(r: Rng): string {
  let p = r.pick(Routes);
  const edits = r.int(0, 3);
  for (let i = 0; i < edits; i++) {
    switch (r.int(0, 7)) {
      case 0: p += '/' + r.pick(Junk).replace(/[ ]/g, '%20'); break;
      case 1: p += '/..'; break;
      case 2: p += `/%${r.int(0, 255).toString(16).padStart(2, '0')}`; break;
      case 3: p += '/' + Array.from({ length: r.int(100, 300) }, () => r.pick(['a', 'x', '1', '', ':p', '%2F'])).join('/'); break;
      case 4: p += r.chance(0.3) ? String.fromCharCode(r.pick([0, 1, 9, 0x7f, 0x1b])) : String.fromCharCode(r.pick([0x80, 0xff])); break;
      case 5: p += '/' + 'a'.repeat(r.int(1, 20_000)); break;
      case 6: p = p.replace(/\/[^/]*$/, '/' + encodeURIComponent(r.pick(Junk))); break;
      default: p += '//'; break;
    }
  }
  return p;
}

/** Drop characters above U+00FF: written as latin1 they would turn into unrelated bytes (NUL among them). */
function latin1(text: string): string {
  return Array.from(text).filter((c) => c.charCodeAt(0) <= 0xff).join('');
}

/** A query string of control names (and others) with junk values, duplicates and huge values. */
function query(r: Rng): string {
  if (r.chance(0.3)) return '';
  const n = r.int(1, r.chance(0.1) ? 200 : 5);
  const pairs: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.chance(0.7) ? r.pick(Controls) : r.pick(['method', 'path', 'limit', 'numbytes', 'duration', 'code', 'chunk_size', '__proto__', 'constructor', '', 'a[b]']);
    const value = r.chance(0.05) ? 'x'.repeat(r.int(1000, 60_000)) : r.chance(0.5) ? encodeURIComponent(r.pick(Junk)) : latin1(r.pick(Junk)).replace(/[ \r\n]/g, '');
    pairs.push(r.chance(0.1) ? name : `${name}=${value}`);
  }
  return '?' + pairs.join('&');
}

/** A header value: usually printable, sometimes huge, sometimes with bytes a value may not carry. */
function headerValue(r: Rng): string {
  switch (r.int(0, 5)) {
    case 0: return 'v'.repeat(r.int(1000, 40_000));
    case 1: return String.fromCharCode(...Array.from({ length: r.len(20) }, () => r.int(0x80, 0xff)));
    case 2: return r.pick(Controls) + '=' + encodeURIComponent(r.pick(Junk)) + (r.chance(0.5) ? '&' + r.pick(Controls) + '=' + r.pick(['1ms', '201', '10', '0', 'X-B%3A2']) : '');
    default: return latin1(r.pick(Junk)).replace(/[\r\n]/g, '') || 'x';
  }
}

/** Status codes a request may ask for: any 5xx then is fine. */
function asksForStatus(text: string): boolean {
  return /status|Status|STATUS/.test(text);
}

/** A random request head (method, path, query, version, headers) with an optional body whose framing may lie. */
export function headCase(r: Rng): FuzzCase {
  const method = r.chance(0.05) ? 'M'.repeat(r.int(20, 5000)) : r.pick(Methods);
  const target = path(r) + query(r);
  // Mostly HTTP/1.1: a head uWS 20.30 cannot parse is never answered (see the report), and each such case
  // costs the whole answer timeout, so the rarer shapes keep the file quick even while that holds.
  const version = r.chance(0.97) ? 'HTTP/1.1' : r.pick(['HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'http/1.1', '']);
  const headers: [string, string][] = [];
  if (r.chance(0.99)) headers.push(['Host', 't']);
  const nh = r.chance(0.05) ? r.int(50, 150) : r.int(0, 5);
  for (let i = 0; i < nh; i++) headers.push([r.pick(HeaderNames), headerValue(r)]);
  let body = Buffer.alloc(0);
  let mayClose: string | null = null;
  let mayHang: string | null = null;
  const framing = r.int(0, 7);
  if (framing === 0) { body = Buffer.from('x'.repeat(r.int(0, 2000))); headers.push(['Content-Length', String(body.length)]); }
  else if (framing === 1) { body = Buffer.from('hello'); headers.push(['Content-Length', String(r.int(6, 100))]); mayHang = 'Content-Length longer than the body: the server waits for the rest'; }
  else if (framing === 2) { body = Buffer.from('5\r\nhello\r\n0\r\n\r\n'); headers.push(['Transfer-Encoding', 'chunked']); }
  else if (framing === 3) { body = Buffer.from('5\r\nhello\r\n0\r\n\r\n'); headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', '3']); mayClose = 'Content-Length and Transfer-Encoding together: may be refused by closing'; }
  else if (framing === 4) { body = Buffer.from('zz\r\nhello\r\n'); headers.push(['Transfer-Encoding', r.pick(['chunked', 'gzip', 'chunked, chunked', 'identity'])]); mayClose = 'malformed chunked framing: may be refused by closing'; }
  else if (framing === 5) { headers.push(['Content-Length', r.pick(['-1', 'abc', '1e3', '99999999999999999999', '0x10', ' 0', '0, 0'])]); mayClose = 'an invalid Content-Length: may be refused by closing'; }
  headers.push(['Connection', 'close']);
  const headText = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const head = Buffer.from(`${method} ${target}${version === '' ? '' : ' ' + version}\r\n${headText}\r\n`, 'latin1');
  if (!/^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE)$/.test(method)) mayClose = 'uWS closes a request whose method it does not know (methods are case-sensitive)';
  // uWS 20.30's parser answers nothing to these until the idle timeout (docs/operations.md, Limits).
  if (!headers.some(([k]) => k === 'Host')) mayHang ??= 'uWS 20.30 leaves HTTP/1.1 without Host unanswered (documented limitation)';
  if (headers.some(([k]) => k.includes('_'))) mayHang = 'uWS drops a request with `_` in a header name without answering (documented limitation)';
  if (version !== 'HTTP/1.1') mayHang ??= `uWS 20.30 answers only HTTP/1.1, not ${JSON.stringify(version)} (documented limitation)`;
  // eslint-disable-next-line no-control-regex -- control bytes in the target are what this looks for
  if (/[\x00-\x1f\x7f-\xff ]/.test(target) || method.length > 1000) {
    mayClose ??= 'a request line uWS cannot parse: may be refused by closing';
    mayHang ??= 'uWS 20.30 leaves a control byte in the target unanswered (documented limitation)';
  }
  if (head.length > 4096) mayClose ??= 'a head over uWS\'s header buffer: may be refused by closing';
  return { family: 'head', payload: Buffer.concat([head, body]), mayClose, mayHang, may5xx: asksForStatus(head.toString('latin1')) };
}

/** A JSON body nested n deep: arrays, objects, or both mixed. */
function deepJson(r: Rng, n: number): string {
  const kind = r.int(0, 2);
  if (kind === 0) return '['.repeat(n) + ']'.repeat(n);
  if (kind === 1) return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  let open = '';
  let close = '';
  for (let i = 0; i < n; i++) { if (r.chance(0.5)) { open += '['; close = ']' + close; } else { open += '{"k":'; close = '}' + close; } }
  return open + '0' + close;
}

/** A hostile request body: deep nesting, huge tokens, invalid UTF-8, prototype keys. */
function hostileBody(r: Rng): Buffer {
  switch (r.int(0, 7)) {
    case 0: return Buffer.from(deepJson(r, r.pick([100, 1000, 10_000, 50_000, 100_000])));
    case 1: return Buffer.from(`{"s":"${'a'.repeat(r.int(10_000, 1_000_000))}"}`);
    case 2: return Buffer.from(`[${'9'.repeat(r.int(10_000, 1_000_000))}]`);
    case 3: return Buffer.from(Array.from({ length: r.int(1, 2000) }, () => r.int(0x80, 0xff)));
    case 4: return Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xff]), Buffer.from('"}')]);
    case 5: return Buffer.from(JSON.stringify({ constructor: { prototype: { x: 1 } }, __proto__: { polluted: true }, toString: 1, hasOwnProperty: 'x' }).replace('"polluted"', '"__proto__":{"p":1},"polluted"'));
    case 6: return Buffer.from('{"a":'.repeat(r.int(1, 50)));
    default: return Buffer.from(`{"k${'x'.repeat(r.int(1000, 200_000))}":1}`);
  }
}

/** A body to /anything, /echo or the admin API, sometimes truncated (Content-Length larger than sent). */
export function bodyCase(r: Rng): FuzzCase {
  const target = r.pick(['/anything', '/anything/x', '/echo', '/__mock/routes', '/__mock/routes', '/post', '/json/valid']);
  const method = target === '/__mock/routes' ? r.pick(['POST', 'PUT']) : r.pick(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']);
  const body = hostileBody(r);
  const truncated = r.chance(0.1);
  const sent = truncated ? body.subarray(0, Math.floor(body.length / 2)) : body;
  const ct = r.pick(['application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-8', '']);
  const head = Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: t\r\n${ct === '' ? '' : `Content-Type: ${ct}\r\n`}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1');
  // A route that does not read bodies answers at once and closes (Connection: close) while a large body is
  // still arriving: the RST for the unread bytes can discard the answer before the client reads it.
  const reads = target === '/anything' || target === '/anything/x' || target === '/echo' || target === '/__mock/routes';
  const mayClose = !reads && body.length > 64 * 1024 ? 'closed after answering, before the unread body: the RST may discard the answer' : null;
  return { family: 'body', payload: Buffer.concat([head, sent]), mayClose, mayHang: truncated ? 'a truncated body: the server waits for the rest' : null, may5xx: false };
}

/** A random value of a random JSON type (wrong types for the route schema). */
function anyJson(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 4 : 6)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, 1e308, 200, 503, 99999, -0]);
    case 3: return r.pick(Junk);
    case 4: return 'y'.repeat(r.int(0, 3000));
    case 5: return Array.from({ length: r.int(0, 4) }, () => anyJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.pick(['a', '__proto__', 'constructor', 'json', 'text', 'size', 'file', 'template']), anyJson(r, depth + 1)]));
  }
}

/** A template string with `{{` variants. */
function template(r: Rng): string {
  const pieces = ['{{now}}', '{{query.q}}', '{{header.x-a}}', '{{param.id}}', '{{', '}}', '{{{', '{{ }}', '{{nope}}', '{{query.}}', '{{__proto__}}', 'x', '{{{{{{'];
  if (r.chance(0.2)) return '{{'.repeat(r.int(1000, 30_000)) + (r.chance(0.5) ? 'x' : '');
  return Array.from({ length: r.int(1, 20) }, () => r.pick(pieces)).join('');
}

/** A route path for the admin API: mostly under /fz/ (so it does not shadow the built-ins), some hostile. */
function routePath(r: Rng): unknown {
  switch (r.int(0, 9)) {
    case 0: return '/fz/' + Array.from({ length: r.int(100, 250) }, (_, i) => r.chance(0.3) ? `:p${i}` : 's').join('/');
    case 1: return '/fz/' + r.pick([':', '::', ':a:b', ':__proto__', ':constructor', '*', '*/x', ':a/*', '%00', '..', '']);
    case 2: return r.pick(['/anything/*', '/anything/x', '/__mock/x', 'no-slash', '', '/', '/json/valid', '/fz/' + 'a'.repeat(r.int(100, 10_000))]);
    case 3: return anyJson(r);
    default: return `/fz/${r.int(0, 20)}` + (r.chance(0.5) ? '/:id' : '');
  }
}

/** A route object for POST/PUT /__mock/routes with random (often wrong) field values. */
function routeObject(r: Rng): unknown {
  const o: Record<string, unknown> = { path: routePath(r) };
  if (r.chance(0.6)) o.method = r.pick<unknown>(['GET', 'POST', 'get', 'BREW', ['GET', 'PUT'], [], 5, null, 'G'.repeat(500)]);
  if (r.chance(0.6)) o.status = r.pick<unknown>([200, 201, '503:50', '404:10,500:5', 0, 99, 600, -1, 1.5, 'x', null, [], '200:' + '1'.repeat(400)]);
  if (r.chance(0.5)) o.latency = r.pick<unknown>(['1ms', 'uniform(1ms,3ms)', 'p50=1ms,p99=4ms', '1h', '-1ms', 5, 'x'.repeat(2000), null, {}]);
  if (r.chance(0.3)) o.close = r.pick<unknown>([0, 50, 101, -1, 'x', null]);
  if (r.chance(0.3)) o.headers = r.pick<unknown>([{ 'X-A': '1' }, { 'Bad Name': 'x' }, { 'X-B': 'a\r\nb' }, { __proto__: 'x' }, { constructor: 'y' }, [], 'x', { 'Content-Length': '5' }]);
  if (r.chance(0.7)) {
    o.body = r.pick<() => unknown>([
      () => ({ json: anyJson(r) }),
      () => ({ text: r.chance(0.2) ? 't'.repeat(r.int(1000, 200_000)) : r.pick(Junk) }),
      () => ({ size: r.pick<unknown>(['1KB', 64, '20KB', '1GB', -1, 'x']) }),
      () => ({ file: r.pick(['users-1kb.json', 'missing.json', '../etc/passwd', '/etc/passwd', '%2e%2e/x', '']) }),
      () => ({ template: r.chance(0.5) ? template(r) : { t: template(r), n: { deep: template(r) } } }),
      () => anyJson(r),
    ])();
  }
  if (r.chance(0.1)) Object.assign(o, anyJson(r) as object);
  return o;
}

/** An admin request: POST/PUT /__mock/routes, DELETE ?path=, GET /__mock/requests with filters. */
export function adminCase(r: Rng): FuzzCase {
  let method: string;
  let target: string;
  let body = Buffer.alloc(0);
  const kind = r.int(0, 5);
  if (kind <= 2) {
    method = kind === 2 ? 'PUT' : 'POST';
    target = '/__mock/routes';
    const value = r.chance(0.3) ? Array.from({ length: r.int(0, 5) }, () => routeObject(r)) : r.chance(0.9) ? routeObject(r) : anyJson(r);
    body = Buffer.from(JSON.stringify(value));
  } else if (kind === 3) {
    method = 'DELETE';
    const p = routePath(r);
    target = '/__mock/routes' + (r.chance(0.8) ? `?path=${encodeURIComponent(typeof p === 'string' ? p : JSON.stringify(p))}` : '') + (r.chance(0.3) ? `&method=${encodeURIComponent(r.pick(Methods))}` : '');
  } else {
    method = r.pick(['GET', 'GET', 'DELETE', 'POST']);
    const f: string[] = [];
    if (r.chance(0.6)) f.push(`method=${encodeURIComponent(r.pick([...Methods, ...Junk]))}`);
    if (r.chance(0.6)) f.push(`path=${encodeURIComponent(r.pick([...Routes, ...Junk, 'x'.repeat(5000)]))}`);
    if (r.chance(0.6)) f.push(`status=${encodeURIComponent(r.pick(['200', '5xx', '2XX', '0', '999', 'x', ...Junk]))}`);
    if (r.chance(0.6)) f.push(`limit=${encodeURIComponent(r.pick(['0', '1', '10', '999999999', '-1', 'x', '1e3', ...Junk]))}`);
    target = '/__mock/requests' + (f.length > 0 ? '?' + f.join('&') : '');
  }
  const head = Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1');
  return { family: 'admin', payload: Buffer.concat([head, body]), mayClose: null, mayHang: null, may5xx: false };
}

/** Keep-alive + pipelining: several generated heads on one connection (the first answers at least). */
export function pipelineCase(r: Rng): FuzzCase {
  const n = r.int(2, 20);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const m = r.pick(['GET', 'HEAD', 'POST', 'get']);
    const t = r.pick(Routes.filter((p) => !p.startsWith('/__mock/routes'))) + query(r);
    const last = i === n - 1;
    parts.push(Buffer.from(`${m} ${t} HTTP/1.1\r\nHost: t\r\n${m === 'POST' ? 'Content-Length: 2\r\n\r\n{}' : '\r\n'}`.replace(/\r\n\r\n(\{\})?$/, (s) => (last ? `\r\nConnection: close${s}` : s)), 'latin1'));
  }
  return { family: 'pipeline', payload: Buffer.concat(parts), mayClose: 'uWS closes a connection whose pipelined request arrives while one is pending (documented)', mayHang: null, may5xx: true };
}

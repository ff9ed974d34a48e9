// Request-level controls on any data route: `delay`, `status`, `size`, `header`, `close`, `goaway`, `fault`, by
// query parameter or in one `X-Mock` header with the same syntax (`X-Mock: status=503&delay=10ms`); plus
// go-bench-suite's X-Delay. Why one header rather than eight `X-Mock-<Name>` headers: each header lookup
// is a call into uWS on every request, ~4 % of pipelined /json/valid throughput apiece (measured with
// both servers sharing one CPU, see bench/lib/rounds.ts: measureShared); getQuery() is ~1.5 %.
// The plain path is: no query string, no X-Mock, no X-Delay. `--mock-headers` also reads the spec's
// X-Mock-<Name> headers, paying those eight lookups on every request (for integration tests, not benchmarks).
import type { HttpRequest, HttpResponse } from '../http/uws.js';
import { GrammarError, quoteValue } from '../grammar/errors.js';
import { parsePercent } from '../grammar/percent.js';
import { parseLatency, parseSizeChoice, parseStatusChoice, SamplerCache } from '../grammar/distribution.js';
import type { WeightedChoice } from '../grammar/choice.js';
import { isSequence, parseSequence, type Sequence } from '../grammar/sequence.js';
import { performance } from 'node:perf_hooks';
import { sendBadValue, sendError } from '../http/errors.js';
import { makeHead, statusLine, ownBytes } from '../http/head.js';
import type { Responder } from '../http/scheduler.js';
import type { RouteContext } from './context.js';
import type { Asked, SequenceControl } from './asked.js';

export type { Asked };
import { HeaderToken, ServerWrittenHeaders } from '../config/defaults.js';
import { BoundedCache } from '../grammar/cache.js';
import { headerDelay, XDelay } from './xdelay.js';
import { parseFaultChoice, type Fault } from '../grammar/fault.js';
import { Faults } from './faults.js';
import { Trailered } from './trailers.js';
import { Assertions, readExpectations, type Seen } from './assertions.js';
import { isExpectName, mergeExpectations } from '../grammar/expect.js';

/** The X-Mock header name as a Buffer key (json.ts reads it on its plain path too). */
export const XMock = ownBytes('x-mock');
const ControlNames = new Set(['delay', 'status', 'size', 'header', 'close', 'goaway', 'fault', 'trailer']);
// What X-Mock may also carry besides the controls above (no X-Mock-<Name> header of their own: the key's
// header X-Mock-Key is read only when a request has a sequence).
const XMockNames = new Set([...ControlNames, 'key', 'server-timing']);
/** The scenario key header (docs/scenarios.md), read only when a request's controls hold a sequence. */
export const XMockKey = ownBytes('x-mock-key');
/** Longest scenario key (characters). */
export const MaxScenarioKey = 128;
// The per-control headers (--mock-headers), looked up only to learn whether any is present.
const NamedPrefix = 'x-mock-';
const NamedHeaders = [...ControlNames].map((n) => ownBytes(`${NamedPrefix}${n}`));
const TextHead = makeHead(200, 'text/plain');
/** Longest query string whose controls (or their absence) are remembered; longer ones are parsed each time. */
export const MaxCachedQueryBytes = 1024;
/** Most `header` controls on one request. */
export const MaxExtraHeaders = 32;

// Status lines for every code, made once: a weighted status picks one per request.
const StatusLines: Buffer[] = [];
for (let c = 100; c < 600; c++) StatusLines[c] = statusLine(c);

/** Compile cache: repeated request strings are parsed once per worker, within BoundedCache's bounds. */
class Compiled<T> {
  private readonly cache = new BoundedCache<T>();
  constructor(private readonly compile: (text: string, param: string) => T) {}
  get(text: string, param: string): T {
    const key = `${param}\u0000${text}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      v = this.compile(text, param);
      this.cache.set(key, v);
    }
    return v;
  }
}


/** A body-reading route's request controls, read in its handler (Controls.hold) and applied after the body. */
export interface HeldControls {
  readonly asked: Asked | null;
  /** X-Delay's delay (ms). */
  readonly delayMs: number;
  /** The expectations' request side (null: none asked). */
  readonly seen: Seen | null;
}

// A held request with nothing asked: one object for all of them.
const PlainHeld: HeldControls = { asked: null, delayMs: 0, seen: null };

/** What a controlled (overridden and/or delayed) response carries until it is written. */
interface Controlled {
  readonly inner: Responder;
  readonly arg: object | null;
  readonly n: number;
  readonly code: number;
  readonly status: Buffer | null;
  readonly headers: Buffer[] | null;
  readonly close: boolean;
  /** performance.now() when the controls were read, for Server-Timing; -1: no Server-Timing. */
  readonly timedFrom: number;
  /** The fault to serve instead (the fault control), or null. */
  readonly fault: Fault | null;
  /** Trailer fields (the trailer control): the response goes out chunked with them; null: none. */
  readonly trailers: Buffer[] | null;
}

/** Per-worker controls: compile caches and the responder that applies overrides. */
export class Controls {
  private readonly latency: SamplerCache;
  private readonly statuses = new Compiled<WeightedChoice<number>>((t, p) => parseStatusChoice(t, p));
  private readonly sizes: Compiled<WeightedChoice<number>>;
  // Sequences (scenarios), one compile cache per control: its items are read by the control's own parser.
  private readonly sequences = new Map<keyof Asked, Compiled<Sequence<unknown>>>();
  private readonly sized: Responder;
  /** Whether requests may carry controls at all (--request-controls). */
  readonly on: boolean;
  /** Whether X-Mock-<Name> headers are read too (--mock-headers). */
  readonly named: boolean;
  /** Whether server defaults (--default-*) apply to every response: then no response is plain. */
  readonly hasDefaults: boolean;
  // What each query string asked for (no X-Mock header): a gateway that forwards the same query on every
  // request (`/resource?limit=10`, a cache-buster) would otherwise pay URLSearchParams per request, ~half
  // of pipelined throughput. Bad values are not kept: they throw and answer 400 each time. Only queries up
  // to MaxCachedQueryBytes are kept (a gateway's forwarded query is short; unique long ones are an attack
  // on the heap), and the cache is bounded by bytes as well as entries.
  private readonly byQuery = new BoundedCache<Asked | null>();
  /** Server defaults (--default-*), compiled once; null when none are set. */
  private readonly defaults: Asked | null;
  private readonly overriding: Responder;
  private readonly faultChoices: Compiled<WeightedChoice<Fault | null>>;
  /** Request assertions (expect-* controls): only requests that carry some reach it. */
  readonly assertions: Assertions;
  private readonly faults: Faults;
  private readonly trailered: Trailered;

  constructor(private readonly ctx: RouteContext) {
    this.on = ctx.config.requestControls;
    this.named = this.on && ctx.config.mockHeaders;
    const writer = ctx.writer;
    this.faults = new Faults(writer, ctx.counters, ctx.config.maxDelayMs);
    this.trailered = new Trailered(writer, this.faults);
    this.faultChoices = new Compiled((t, p) => parseFaultChoice(t, p, ctx.config.maxDelayMs));
    this.overriding = {
      send: (res, arg) => {
        const c = arg as Controlled;
        if ((c.fault !== null || c.trailers !== null)
          && this.serveSlow(res, c.fault, c.trailers, (into) => writer.withOverrides(c.code, c.status, c.headers, c.close, () => c.inner.send(into, c.arg, c.n), c.timedFrom))) return;
        writer.withOverrides(c.code, c.status, c.headers, c.close, () => c.inner.send(res, c.arg, c.n), c.timedFrom);
      },
    };
    this.latency = new SamplerCache();
    this.sizes = new Compiled((t, p) => parseSizeChoice(t, p, ctx.config.maxSizeBytes));
    this.sized = { send(res, _arg, n) { ctx.filler.send(res, TextHead, n); } };
    const d = ctx.config.defaults;
    const timing = ctx.config.serverTiming === true;
    this.defaults = d.delay === null && d.status === null && d.close === 0 && d.fault === null && !timing ? null : {
      delay: d.delay === null ? null : parseLatency(d.delay, '--default-delay', ctx.config.maxDelayMs),
      status: d.status === null ? null : parseStatusChoice(d.status, '--default-status'),
      size: null,
      headers: null,
      close: d.close,
      timing: timing ? 1 : -1,
      fault: d.fault === null ? null : parseFaultChoice(d.fault, '--default-fault', ctx.config.maxDelayMs),
      trailers: null,
    };
    this.hasDefaults = this.defaults !== null;
    this.assertions = new Assertions(ctx);
  }

  /**
   * Answer with `responder` (now, or after a delay), applying the request's controls. extraMs is a delay
   * from the path (/delay/{d}). Reads req synchronously; bad control values answer 400.
   */
  respond(res: HttpResponse, req: HttpRequest, responder: Responder, arg: object | null, n: number, extraMs: number): void {
    // The plain path, kept small enough to inline: no X-Delay, no path delay, no controls. What it reads is
    // handed on, so the controlled path does not ask uWS again (each call is ~4 % of a pipelined request).
    const xDelay = req.getHeader(XDelay);
    let h = '';
    let named = false;
    if (this.on) {
      const q = req.getQuery();
      if (q !== undefined && q.length !== 0) {
        this.answerControlled(res, req, responder, arg, n, extraMs, null, xDelay, q, req.getHeader(XMock));
        return;
      }
      h = req.getHeader(XMock);
      named = this.named && anyNamed(req);
    }
    if (extraMs === 0 && this.defaults === null && xDelay.length === 0 && h.length === 0 && !named) {
      responder.send(res, arg, n);
      return;
    }
    this.answerControlled(res, req, responder, arg, n, extraMs, null, xDelay, '', h);
  }

  /** Like respond(), for a configured route with its own controls (request > route > server defaults). */
  respondRoute(res: HttpResponse, req: HttpRequest, responder: Responder, arg: object | null, route: Asked): void {
    const on = this.on;
    this.answerControlled(res, req, responder, arg, 0, 0, route, req.getHeader(XDelay), on ? req.getQuery() ?? '' : '', on ? req.getHeader(XMock) : '');
  }

  /**
   * Answer a request that is not plain (or may not be): xDelay, q and h are the X-Delay header, the query
   * string and the X-Mock header, already read from req (each read is a call into uWS). Reads req synchronously.
   */
  answerControlled(
    res: HttpResponse, req: HttpRequest, responder: Responder, arg: object | null, n: number, extraMs: number, route: Asked | null,
    xDelay: string, q: string, h: string,
  ): void {
    const ctx = this.ctx;
    let asked: Asked | null = null;
    let delayMs: number;
    try {
      delayMs = headerDelay(ctx, req, xDelay, extraMs);
      if (this.on) asked = this.read(req, q, h);
    } catch (err) {
      sendBadValue(ctx.writer, res, err);
      return;
    }
    // Precedence: the request's own controls, then the route's, then the server defaults, field by field.
    asked = merge(merge(asked, route), this.defaults);
    // Sequences take this request's step now: the key is read from req, which later (after a body) is gone.
    if (asked !== null && asked.sequences != null) {
      asked = this.scenario(res, req, asked, asked.sequences);
      if (asked === null) return;
    }
    // Expectations first: a failed one is answered instead of the route (no delay, no other control).
    if (asked !== null && asked.expect != null) {
      const a = asked;
      const ms = delayMs;
      this.assertions.check(res, req, asked.expect, (r) => this.apply(r, responder, arg, n, a, ms));
      return;
    }
    this.apply(res, responder, arg, n, asked, delayMs);
  }

  // The rest of answerControlled once the controls are read (and any expectations held): req is not read here.
  private apply(res: HttpResponse, responder: Responder, arg: object | null, n: number, asked: Asked | null, delayMs: number): void {
    const ctx = this.ctx;
    if (asked === null) {
      if (delayMs > 0) ctx.scheduler.schedule(res, delayMs, responder, arg, n);
      else responder.send(res, arg, n);
      return;
    }
    const timedFrom = asked.timing === 1 ? performance.now() : -1;
    const rng = ctx.rng;
    // linear() reads the worker's load: the responses it holds (delayed), streams and bodies being read.
    if (asked.delay !== null) delayMs += asked.delay.sample(rng, ctx.scheduler.pending + ctx.filler.active + ctx.bodies.collecting);
    if (delayMs > ctx.config.maxDelayMs) {
      sendBadValue(ctx.writer, res, new GrammarError('delay', `the delays asked for add up to over the maximum (--max-delay)`));
      return;
    }
    if (asked.size !== null) {
      responder = this.sized;
      arg = null;
      n = asked.size.pick(rng.next());
    }
    const code = asked.status !== null ? asked.status.pick(rng.next()) : 0;
    const status = code !== 0 ? StatusLines[code] : null;
    const close = asked.close > 0 && rng.next() * 100 < asked.close;
    const fault = asked.fault !== null ? asked.fault.pick(rng.next()) : null;
    const c: Controlled = { inner: responder, arg, n, code, status, headers: asked.headers, close, timedFrom, fault, trailers: asked.trailers ?? null };
    if (delayMs > 0) ctx.scheduler.schedule(res, delayMs, this.overriding, c, 0);
    else this.overriding.send(res, c, 0);
  }

  // This request's item of each sequence: its position comes from the table every worker shares, under
  // the X-Mock-Key header's key, else key= (X-Mock, then query), else none (one sequence for every client).
  // Null when it answered 503 (the table is full) or 400 (a bad key).
  private scenario(res: HttpResponse, req: HttpRequest, asked: Asked, sequences: readonly SequenceControl[]): Asked | null {
    const header = req.getHeader(XMockKey);
    const key = header.length !== 0 ? header : asked.key ?? '';
    if (key.length > MaxScenarioKey) {
      sendError(this.ctx.writer, res, 400, `the scenario key is ${key.length} characters long: at most ${MaxScenarioKey}`, 'key');
      return null;
    }
    const out: Record<string, unknown> = { ...asked, sequences: null };
    for (let i = 0; i < sequences.length; i++) {
      const { field, seq } = sequences[i];
      const position = this.ctx.scenarios.advance(key, field, seq.text, seq.total, seq.cycle);
      if (position < 0) {
        sendError(this.ctx.writer, res, 503, `the scenario table is full (every slot holds a key and sequence): DELETE ${this.ctx.config.adminPrefix}scenarios empties it`, 'key');
        return null;
      }
      out[field] = seq.at(position);
    }
    return out as unknown as Asked;
  }

  // A control's value, or null when it is a sequence (then added to seqs, to be resolved per request).
  private valueOr<T>(text: [string, string] | null, field: keyof Asked, seqs: SequenceControl[], one: (t: string, p: string) => T): T | null {
    if (text === null) return null;
    if (!isSequence(text[0])) return one(text[0], text[1]);
    let cache = this.sequences.get(field);
    if (cache === undefined) {
      cache = new Compiled<Sequence<unknown>>((t, p) => parseSequence<unknown>(t, p, one));
      this.sequences.set(field, cache);
    }
    seqs.push({ field, seq: cache.get(text[0], text[1]) });
    return null;
  }

  /**
   * Answer through `fault` (it wins) or `trailers`, the slow paths; false when neither is asked. `answer` writes the
   * response into the res it is given, synchronously. Runs corked (routes that write their answers themselves:
   * features/ai/).
   */
  serveSlow(res: HttpResponse, fault: Fault | null, trailers: Buffer[] | null, answer: (into: HttpResponse) => void): boolean {
    if (fault !== null) this.faults.serve(res, fault, answer);
    else if (trailers !== null) this.trailered.serve(res, trailers, answer);
    else return false;
    return true;
  }

  /**
   * For routes that read the request body before they answer (/echo, /anything): X-Delay and the request's
   * controls over the server defaults, with sequences resolved and the expectations' request side read, now,
   * while req is valid. Null when it already answered (a bad value: 400; a full scenario table: 503).
   */
  hold(res: HttpResponse, req: HttpRequest): HeldControls | null {
    const ctx = this.ctx;
    let asked: Asked | null = null;
    let delayMs: number;
    try {
      delayMs = headerDelay(ctx, req, req.getHeader(XDelay), 0);
      if (this.on) asked = this.read(req, req.getQuery() ?? '', req.getHeader(XMock));
    } catch (err) {
      sendBadValue(ctx.writer, res, err);
      return null;
    }
    asked = merge(asked, this.defaults);
    if (asked !== null && asked.sequences != null) {
      asked = this.scenario(res, req, asked, asked.sequences);
      if (asked === null) return null;
    }
    if (asked === null && delayMs === 0) return PlainHeld;
    const seen = asked !== null && asked.expect != null ? this.assertions.seen(req, asked.expect) : null;
    return { asked, delayMs, seen };
  }

  /** Answer a held request once its body is in: its expectations (the body too), then its controls, as any route. */
  answerHeld(res: HttpResponse, held: HeldControls, body: Buffer, responder: Responder, arg: object | null): void {
    const { asked, delayMs, seen } = held;
    if (asked !== null && asked.expect != null && seen !== null) {
      this.assertions.checkSeen(res, asked.expect, seen, body, (r) => this.apply(r, responder, arg, 0, asked, delayMs));
      return;
    }
    this.apply(res, responder, arg, 0, asked, delayMs);
  }

  /**
   * The request's own controls (query string and X-Mock text, compiled and cached as for any route) over the
   * server defaults, for routes that answer once the request body is in (features/ai/) and apply them
   * themselves. `h` must hold only the controls above. Reads req synchronously; throws GrammarError.
   */
  askedBy(req: HttpRequest, q: string, h: string): Asked | null {
    return merge(this.on ? this.read(req, q, h) : null, this.defaults);
  }

  /**
   * askedBy()'s controls with each sequence (scenario) resolved to this request's item; null when it already
   * answered (a bad key: 400, a full scenario table: 503). Reads req synchronously.
   */
  resolveSequences(res: HttpResponse, req: HttpRequest, asked: Asked): Asked | null {
    return asked.sequences == null ? asked : this.scenario(res, req, asked, asked.sequences);
  }

  private read(req: HttpRequest, q: string, h: string): Asked | null {
    if (this.named && anyNamed(req)) return this.parse(q, h, readNamed(req));
    if (h.length !== 0) return this.parse(q, h, null);
    if (q.length === 0) return null;
    if (q.length > MaxCachedQueryBytes) return this.parse(q, h, null);
    let asked = this.byQuery.get(q);
    if (asked === undefined) {
      asked = this.parse(q, h, null);
      this.byQuery.set(q, asked);
    }
    return asked;
  }

  // named: the X-Mock-<Name> headers' values by lower-case control name (--mock-headers), else null.
  private parse(q: string, h: string, named: Map<string, string[]> | null): Asked | null {
    const query = new URLSearchParams(q);
    const header = new URLSearchParams(h);
    // Headers win over the query, per control; params name where the value came from.
    const text = (name: 'delay' | 'status' | 'size' | 'close' | 'goaway' | 'key' | 'server-timing' | 'fault'): [string, string] | null => {
      const n = named?.get(name);
      if (n !== undefined) return [n[0], `X-Mock-${name[0].toUpperCase()}${name.slice(1)}`];
      const h = header.get(name);
      if (h !== null) return [h, `X-Mock ${name}`];
      const v = query.get(name);
      return v === null ? null : [v, name];
    };
    const delay = text('delay');
    const status = text('status');
    const size = text('size');
    const close = text('close');
    const goaway = text('goaway');
    const key = text('key');
    const timing = text('server-timing');
    const fault = text('fault');
    const namedHeaders = named?.get('header');
    const headerTexts: [string, string][] = namedHeaders !== undefined
      ? namedHeaders.map((v) => [v, 'X-Mock-Header'])
      : header.has('header')
        ? header.getAll('header').map((v) => [v, 'X-Mock header'])
        : query.getAll('header').map((v) => [v, 'header']);
    const namedTrailers = named?.get('trailer');
    const trailerTexts: [string, string][] = namedTrailers !== undefined
      ? namedTrailers.map((v) => [v, 'X-Mock-Trailer'])
      : header.has('trailer')
        ? header.getAll('trailer').map((v) => [v, 'X-Mock trailer'])
        : query.getAll('trailer').map((v) => [v, 'trailer']);
    let unknown: string | null = null;
    for (const k of header.keys()) if (!XMockNames.has(k) && !isExpectName(k)) unknown = k;
    if (unknown !== null) {
      throw new GrammarError('X-Mock', `unknown control ${quoteValue(unknown)} in X-Mock: use ${[...XMockNames].join(', ')}, e.g. X-Mock: status=503&delay=10ms`);
    }
    const expect = readExpectations(query, header);
    if (delay === null && status === null && size === null && close === null && goaway === null && headerTexts.length === 0 && timing === null && fault === null && expect === null && trailerTexts.length === 0) return null;
    const max = this.ctx.config.maxDelayMs;
    const seqs: SequenceControl[] = [];
    const closeValue = goaway !== null ? parseGoaway(goaway[0], goaway[1]) : this.valueOr(close, 'close', seqs, parsePercent);
    // Before the literal: a sequence adds to seqs, which the literal reads.
    const faultValue = this.valueOr(fault, 'fault', seqs, (t, p) => this.faultChoices.get(t, p));
    return {
      delay: this.valueOr(delay, 'delay', seqs, (t, p) => this.latency.get(t, p, max)),
      status: this.valueOr(status, 'status', seqs, (t, p) => this.statuses.get(t, p)),
      size: this.valueOr(size, 'size', seqs, (t, p) => this.sizes.get(t, p)),
      headers: headerTexts.length === 0 ? null : parseHeaders(headerTexts),
      // goaway=now is close=100 under its HTTP/2 name: the h2 engine turns Connection: close into a GOAWAY.
      close: closeValue ?? -1,
      timing: timing === null ? -1 : parseTiming(timing[0], timing[1]),
      sequences: seqs.length === 0 ? null : seqs,
      key: key === null ? null : key[0],
      fault: faultValue,
      expect,
      trailers: trailerTexts.length === 0 ? null : parseHeaders(trailerTexts, true),
    };
  }
}

/** Whether any X-Mock-<Name> control header is present (read only with --mock-headers). */
export function anyNamed(req: HttpRequest): boolean {
  for (let i = 0; i < NamedHeaders.length; i++) if (req.getHeader(NamedHeaders[i]).length !== 0) return true;
  return false;
}

// Every X-Mock-<Name> header of the six controls (repeated X-Mock-Header lines each count; getHeader
// returns only the first, so this walks the headers once). Other X-Mock-* names are not controls: ignored.
function readNamed(req: HttpRequest): Map<string, string[]> {
  const named = new Map<string, string[]>();
  req.forEach((key, value) => {
    if (!key.startsWith(NamedPrefix) || value.length === 0) return;
    const name = key.slice(NamedPrefix.length);
    if (!ControlNames.has(name)) return;
    const list = named.get(name);
    if (list === undefined) named.set(name, [value]);
    else list.push(value);
  });
  return named;
}

/** Field-by-field: `first` wins where it sets a control, `second` fills the rest. */
function merge(first: Asked | null, second: Asked | null): Asked | null {
  if (first === null) return second;
  if (second === null) return first;
  return {
    delay: first.delay ?? second.delay,
    status: first.status ?? second.status,
    size: first.size ?? second.size,
    headers: first.headers === null ? second.headers : second.headers === null ? first.headers : [...second.headers, ...first.headers],
    close: first.close >= 0 ? first.close : second.close,
    timing: (first.timing ?? -1) >= 0 ? first.timing : second.timing,
    sequences: mergeSequences(first, second),
    key: first.key ?? second.key,
    fault: first.fault ?? second.fault,
    trailers: first.trailers ?? second.trailers ?? null,
    expect: mergeExpectations(first.expect ?? null, second.expect ?? null),
  };
}

// first's sequences, then second's for the controls first sets neither as a value nor as a sequence.
function mergeSequences(first: Asked, second: Asked): readonly SequenceControl[] | null {
  const a = first.sequences ?? null;
  const b = second.sequences ?? null;
  if (b === null) return a;
  const kept = b.filter((s) => !(a?.some((x) => x.field === s.field) ?? false) && !setsField(first, s.field));
  return a === null ? (kept.length === 0 ? null : kept) : [...a, ...kept];
}

function setsField(a: Asked, field: keyof Asked): boolean {
  const v = a[field];
  return typeof v === 'number' ? v >= 0 : v !== null && v !== undefined;
}

/** `server-timing=on|off`: whether this response carries `Server-Timing: upstream;dur=<ms>`; 1 or 0. */
function parseTiming(text: string, param: string): number {
  if (text === 'on') return 1;
  if (text === 'off') return 0;
  throw new GrammarError(param, `invalid server-timing ${quoteValue(text)}: use server-timing=on or server-timing=off`);
}


/**
 * `goaway=now`: this response is the connection's last. On HTTP/2 a GOAWAY follows it (the stream ends
 * normally, the client opens a new connection for its next requests); on HTTP/1.1 it is `Connection: close`.
 * Returns the close percentage it stands for.
 */
function parseGoaway(text: string, param: string): number {
  if (text !== 'now') throw new GrammarError(param, `invalid goaway ${quoteValue(text)}: use goaway=now (the server setting --h2-goaway-after sends GOAWAY after N streams or a duration)`);
  return 100;
}

// Fields a trailer must not carry (RFC 9110 6.5.1): framing, routing, and what a client needs before the body.
const NotTrailers: ReadonlySet<string> = new Set([...ServerWrittenHeaders, 'trailer', 'te', 'host', 'content-type', 'content-encoding', 'content-range', 'cache-control', 'expect', 'authorization', 'set-cookie', 'range', 'max-forwards']);

/**
 * `Name:Value` pairs -> alternating name/value Buffers (the `header` control, and `trailer` with trailer = true);
 * GrammarError on a bad pair.
 */
export function parseHeaders(texts: [string, string][], trailer = false): Buffer[] {
  const what = trailer ? 'trailer' : 'header';
  if (texts.length > MaxExtraHeaders) {
    throw new GrammarError(texts[0][1], `too many ${what} controls (${texts.length}): at most ${MaxExtraHeaders}`);
  }
  const out: Buffer[] = [];
  for (const [text, param] of texts) {
    const colon = text.indexOf(':');
    const name = colon < 0 ? '' : text.slice(0, colon).trim();
    const value = colon < 0 ? '' : text.slice(colon + 1).trim();
    if (!HeaderToken.test(name) || /[\r\n\0]/.test(value)) {
      throw new GrammarError(param, trailer
        ? `invalid trailer ${quoteValue(text)}: use Name:Value, e.g. trailer=X-Checksum:abc123`
        : `invalid header ${quoteValue(text)}: use Name:Value, e.g. header=Cache-Control:no-store`);
    }
    if (trailer && NotTrailers.has(name.toLowerCase())) {
      throw new GrammarError(param, `trailer ${quoteValue(name)} cannot be sent as a trailer: framing, routing and content fields belong in the head (RFC 9110 6.5.1)`);
    }
    // Framing headers would contradict the ones uWS writes and break a gateway's connection reuse.
    if (ServerWrittenHeaders.has(name.toLowerCase())) {
      throw new GrammarError(param, `header ${quoteValue(name)} cannot be set: the server writes it; use size= or close= instead`);
    }
    out.push(Buffer.from(name), Buffer.from(value));
  }
  return out;
}

// The AI endpoints' engine room: reads a request (controls, body), plans its answer (status, length, timing)
// and paces it. Every call of a worker, streamed or not, is a task of ONE Scheduler: a call holds one slot at
// a time (its next token, or its answer), so 10,000 streams are 10,000 heap entries under one Node timer.
// The first token is due at headAt + ttft, each next one an itl after the later of the previous one's due
// time and its real write: on time, the schedule does not drift; late, the gap after it is still a whole itl.
import { performance } from 'node:perf_hooks';
import { parseLatency, type Sampler } from '../../grammar/distribution.js';
import { GrammarError } from '../../grammar/errors.js';
import { answersNothing } from '../../grammar/fault.js';
import { DepthError, parseBoundedJson } from '../../http/depth.js';
import { sendBadValue } from '../../http/errors.js';
import { bodiless, makeHead, ownBytes, statusLine } from '../../http/head.js';
import { Scheduler, type Task } from '../../http/scheduler.js';
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import { A } from '../../observe/counters.js';
import type { Handler, RouteContext } from '../context.js';
import { XMock, type Controls } from '../controls.js';
import { headerDelay, XDelay } from '../xdelay.js';
import { AiCall, Phase, type Family } from './call.js';
import { AiInputError, ErrorAnswers } from './errors.js';
import { KnobReader } from './knobs.js';
import { DefaultAiTokens, EchoSource, LoremSource, MaxAiTokens } from './tokens.js';

const JsonHead = makeHead(200, 'application/json');
const SseHead = makeHead(200, 'text/event-stream', [['Cache-Control', 'no-cache']]);
const Empty = new ArrayBuffer(0);
const NoBody = Buffer.alloc(0);
const ContentLength = ownBytes('content-length');
/** Most tokens one stream writes in one tick (tokens due together: an itl under the timer's millisecond, a backlog). */
const BurstTokens = 32;

/** Every AI endpoint of one worker: the controls they read, the calls in flight and their one timer. */
export class AiEndpoints implements Task {
  private readonly timers = new Scheduler(1024);
  private readonly open = new Set<AiCall>();
  private readonly knobs: KnobReader;
  private readonly ttft: Sampler;
  private readonly itl: Sampler;
  /** Error answers by API and status code, made at startup. */
  readonly errors = new ErrorAnswers();
  /** The lorem content, shared by every call. */
  readonly lorem = new LoremSource();
  private ids = 0;
  private readonly idPrefix: string;

  constructor(private readonly ctx: RouteContext, private readonly controls: Controls) {
    const max = ctx.config.maxDelayMs;
    this.knobs = new KnobReader(max);
    this.idPrefix = Math.floor(ctx.rng.next() * 36 ** 6).toString(36);
    this.ttft = parseLatency(ctx.config.ai.ttft, '--ai-ttft', max);
    this.itl = parseLatency(ctx.config.ai.itl, '--ai-itl', max);
    this.timers.onTaskError = (err) => ctx.writer.report('AI timer', err instanceof Error ? err : new Error(String(err)));
    // A draining worker answers every call now: pending answers go out, streams end with their closing events.
    ctx.onDrain.push(() => { for (const c of this.open) this.corkedTick(c); });
  }

  /** A new id for a call's answer (unique per worker and run). */
  nextId(): string {
    return `${this.idPrefix}${(++this.ids).toString(36)}`;
  }

  /** The route handler of `family`: read the controls now (req is valid only here), the body when it arrives. */
  handler(family: Family): Handler {
    return (res, req) => this.handle(family, res, req);
  }

  private handle(family: Family, res: HttpResponse, req: HttpRequest): void {
    const ctx = this.ctx;
    const start = performance.now();
    if (req.getMethod() !== family.method && !(family.method === 'get' && req.getMethod() === 'head')) {
      this.errors.sendInput(ctx.writer, res, family.api, new AiInputError(
        `Invalid method for URL (${req.getCaseSensitiveMethod()} ${req.getUrl()}): use ${family.method.toUpperCase()}`, null, 'method_not_allowed', 405));
      return;
    }
    let call: AiCall;
    try {
      const xDelay = req.getHeader(XDelay);
      const on = this.controls.on;
      const q = on ? req.getQuery() ?? '' : '';
      const h = on ? req.getHeader(XMock) : '';
      const knobs = this.knobs.read(q, h);
      let asked = this.controls.askedBy(req, q, knobs.rest);
      // A scenario (status=429x2,200 under X-Mock-Key) picks this call's item from the shared table.
      if (asked !== null) {
        asked = this.controls.resolveSequences(res, req, asked);
        if (asked === null) return;
      }
      let delayMs = headerDelay(ctx, req, xDelay, 0);
      if (asked !== null && asked.delay !== null) delayMs += asked.delay.sample(ctx.rng);
      if (delayMs > ctx.config.maxDelayMs) throw new GrammarError('delay', 'the delays asked for add up to over the maximum (--max-delay)');
      if (asked !== null && asked.size !== null) throw new GrammarError('size', 'size does not apply to the AI endpoints: the answer\'s length is its tokens (tokens=, max_tokens)');
      call = new AiCall(family, start, knobs, asked, delayMs, knobs.itl ?? this.itl, this);
      // expect-* read the request now (req is gone after the handler) and the body once it is in.
      if (asked !== null && asked.expect != null) call.seen = this.controls.assertions.seen(req, asked.expect);
      if (family.method === 'get') {
        const version = req.getHeader('anthropic-version');
        call.extra = version;
        if (version.length !== 0) call.api = 'anthropic';
        if (family.pattern.includes(':')) call.model = req.getParameter(0) ?? '';
      }
    } catch (err) {
      sendBadValue(ctx.writer, res, err);
      return;
    }
    call.route = ctx.counters.route;
    if (family.method === 'get') {
      this.begin(res, call, null);
      return;
    }
    ctx.bodies.collect(res, req.getHeader(ContentLength), ctx.config.maxBodyBytes, (r, body) => this.begin(r, call, body));
  }

  // The body is in (corked): expectations first (a failed one is answered instead of the call), then the rest.
  private begin(res: HttpResponse, call: AiCall, body: Buffer | null): void {
    const ex = call.asked?.expect;
    if (ex != null && call.seen !== null) this.controls.assertions.checkSeen(res, ex, call.seen, body ?? NoBody, (r) => this.started(r, call, body));
    else this.started(res, call, body);
  }

  // The status, validation, the plan, then the first step of the schedule.
  private started(res: HttpResponse, call: AiCall, body: Buffer | null): void {
    const { ctx, errors } = this;
    const family = call.family;
    const asked = call.asked;
    const rng = ctx.rng;
    call.code = asked !== null && asked.status !== null ? asked.status.pick(rng.next()) : 200;
    call.headers = asked?.headers ?? null;
    call.close = asked !== null && asked.close > 0 && rng.next() * 100 < asked.close;
    call.fault = asked !== null && asked.fault !== null ? asked.fault.pick(rng.next()) : null;
    // A status control answers like the service refusing the request: before the body is even looked at.
    if (call.code < 400) {
      try {
        family.read(call, body === null ? null : parseObject(body));
        if (call.promptTokens > ctx.config.ai.context) throw contextError(call, ctx.config.ai.context);
      } catch (err) {
        if (!(err instanceof AiInputError)) throw err;
        this.withControls(call, true, () => errors.sendInput(ctx.writer, res, call.api, err));
        return;
      }
      // A stream is written event by event: only the faults that answer nothing apply to it (break-after cuts one).
      const refused = call.stream ? streamRefusal(call) : null;
      if (refused !== null) {
        sendBadValue(ctx.writer, res, refused);
        return;
      }
      this.plan(call);
    }
    call.res = res;
    res.onAborted(call.aborted);
    // A write the socket pushes back (a slow reader, a large event) waits for this, not for a timer.
    res.onWritable(call.writable);
    ctx.filler.hold();
    this.open.add(call);
    const k = call.knobs;
    call.headAt = call.start + call.delayMs;
    const per = k.ttftPerTokenMs > 0 ? k.ttftPerTokenMs * call.promptTokens : 0;
    call.nextDue = call.headAt + (k.ttft ?? this.ttft).sample(rng) + per;
    this.tick(call);
  }

  // How many tokens, from where, and the answer's ids.
  private plan(call: AiCall): void {
    const k = call.knobs;
    const max = call.maxTokens;
    const asked = k.tokens === null ? -1 : k.tokens.pick(this.ctx.rng.next());
    let n: number;
    if (k.content === 'echo') {
      const limit = Math.min(asked < 0 ? MaxAiTokens : asked, max < 0 ? MaxAiTokens : max);
      const source = new EchoSource(call.echoText, limit);
      call.source = source;
      n = source.length;
      call.truncated = max >= 0 && n === max && (asked < 0 || asked >= max);
    } else {
      call.source = this.lorem;
      n = Math.min(asked >= 0 ? asked : max >= 0 ? max : DefaultAiTokens, MaxAiTokens);
      if (max >= 0 && n >= max) n = max;
      call.truncated = max >= 0 && n === max && (asked < 0 || asked >= max);
    }
    call.n = n;
    call.id = this.nextId();
    call.created = Math.floor(Date.now() / 1000);
  }

  /** Task: the call's time has come. */
  run(arg: object): void {
    const call = arg as AiCall;
    call.slot = -1;
    if (!call.done) this.corkedTick(call);
  }

  /** Do what is due: an error or answer, the stream's head, tokens, its end; then arm the next step. Runs corked. */
  tick(call: AiCall): void {
    const ctx = this.ctx;
    const res = call.res as HttpResponse;
    const now = performance.now();
    const draining = ctx.draining;
    ctx.counters.route = call.route;
    if (call.phase === Phase.Head) {
      if (call.code >= 400) {
        if (now < call.headAt && !draining) return this.arm(call, call.headAt, now);
        const error = (into: HttpResponse): void => this.withControls(call, true, () => this.errors.send(ctx.writer, into, call.api, call.code));
        if (!this.controls.serveSlow(res, call.fault, call.asked?.trailers ?? null, error)) error(res);
        return this.release(call);
      }
      if (!call.stream) return this.answer(call, res, now, draining);
      const at = call.family.early ? call.headAt : call.nextDue;
      if (now < at && !draining) return this.arm(call, at, now);
      // A stream's fault (reset, empty, garbage, hang) is served when its head would be.
      if (call.fault !== null) {
        this.controls.serveSlow(res, call.fault, null, ignoreAnswer);
        return this.release(call);
      }
      this.withControls(call, false, () => ctx.writer.writeHead(res, SseHead, 0));
      if (bodiless(ctx.writer.lastCode) || ctx.writer.isHead(res)) {
        ctx.writer.endEmpty(res);
        return this.release(call);
      }
      call.phase = Phase.Tokens;
      call.frame = call.family.frame(call);
      ctx.counters.ai(A.open, 1);
      ctx.counters.ai(A.streams, 1);
      const open = call.family.open(call);
      // Never an empty write: on a chunked response it would read as the terminating chunk.
      if (open.length !== 0 && !res.write(open)) {
        call.waiting = true;
        return;
      }
    }
    if (draining) call.n = call.sent;
    let ok = true;
    let burst = 0;
    const frame = call.frame as NonNullable<AiCall['frame']>;
    const source = call.source as NonNullable<AiCall['source']>;
    while (ok && call.sent < call.n && call.nextDue <= now && burst < BurstTokens) {
      if (call.sent === call.knobs.breakAfter) {
        // Not in the tick that wrote tokens: a cut now would drop them with the cork buffer (uWS) or the
        // socket's queue (node), and the client would never see the tokens before the break.
        if (burst === 0) return this.breakStream(call, res);
        ctx.counters.ai(A.tokensOut, burst);
        return this.arm(call, now + 1, now);
      }
      const t = performance.now();
      if (call.sent === 0) ctx.counters.aiObserve(A.ttft, (t - call.start) / 1000);
      else ctx.counters.aiObserve(A.itl, (t - call.lastTokenAt) / 1000);
      call.lastTokenAt = t;
      ok = res.write(frame.event(source.escaped(call.sent), call.seq));
      call.sent++;
      call.seq++;
      burst++;
      // From the later of the due time and the real write: a late token (a busy loop) pushes the next one back
      // rather than shortening the gap, as a model's next token takes its time after the last one.
      call.nextDue = Math.max(call.nextDue, t) + call.itl.sample(ctx.rng);
    }
    if (burst !== 0) ctx.counters.ai(A.tokensOut, burst);
    if (call.sent >= call.n) {
      ctx.counters.ai(A.calls, 1);
      res.write(call.family.close(call));
      this.release(call);
      if (call.close) res.end(Empty, true);
      else res.end();
      return;
    }
    if (!ok) {
      call.waiting = true;
      return;
    }
    this.arm(call, call.nextDue, now);
  }

  // A non-streamed answer: due when its last token would have been written.
  private answer(call: AiCall, res: HttpResponse, now: number, draining: boolean): void {
    const ctx = this.ctx;
    const brk = call.knobs.breakAfter;
    const last = brk >= 0 && brk < call.n ? brk : call.n;
    // The remaining tokens' latencies are drawn once, the first time the call comes up.
    while (call.sent < last - 1) {
      call.nextDue += call.itl.sample(ctx.rng);
      call.sent++;
    }
    if (now < call.nextDue && !draining) return this.arm(call, call.nextDue, now);
    if (brk >= 0 && brk < call.n) return this.breakStream(call, res);
    call.sent = call.n;
    ctx.counters.ai(A.calls, 1);
    ctx.counters.ai(A.tokensOut, call.n);
    const body = call.family.body(call);
    const send = (into: HttpResponse): void => this.withControls(call, false, () => ctx.writer.sendBody(into, JsonHead, body));
    if (!this.controls.serveSlow(res, call.fault, call.asked?.trailers ?? null, send)) send(res);
    this.release(call);
  }

  // break-after: Anthropic's stream ends with its `error` event; an OpenAI stream (and any non-streamed answer) is cut.
  private breakStream(call: AiCall, res: HttpResponse): void {
    const ctx = this.ctx;
    ctx.counters.ai(A.broken, 1);
    const tail = call.phase === Phase.Tokens ? call.family.broken(call) : null;
    this.release(call);
    if (tail !== null) {
      res.write(tail);
      res.end();
      return;
    }
    res.close();
  }

  // The request controls over one synchronous write: extra headers, close, and on an answer (not an error)
  // a status control's 2xx or 3xx code.
  private withControls(call: AiCall, error: boolean, write: () => void): void {
    const code = error || call.code === 200 ? 0 : call.code;
    // Server-Timing (server-timing=on, --server-timing): arrival to the head, a stream's time to its first event.
    const timedFrom = call.asked?.timing === 1 ? call.start : -1;
    this.ctx.writer.withOverrides(code, code === 0 ? null : statusLine(code), call.headers, call.close, write, timedFrom);
  }

  private arm(call: AiCall, at: number, now: number): void {
    call.slot = this.timers.scheduleTask(Math.max(0, at - now), this, call, 0);
  }

  /** onWritable: the socket took what was queued; go on where the stream stopped. */
  writable(call: AiCall): boolean {
    if (!call.done && call.waiting) {
      call.waiting = false;
      this.corkedTick(call);
    }
    return true;
  }

  /** onAborted: the client left; the response must not be touched again. */
  aborted(call: AiCall): void {
    if (call.done) return;
    call.res = null;
    this.release(call);
  }

  // Cork and tick; anything thrown closes this call's connection and is reported, never reaching the loop.
  private corkedTick(call: AiCall): void {
    const res = call.res;
    if (res === null || call.done) return;
    try {
      res.cork(call.corked);
    } catch (err) {
      if (!call.done) this.release(call);
      try {
        res.close();
      } catch {
        // Already closed.
      }
      this.ctx.writer.report(call.family.pattern, err instanceof Error ? err : new Error(String(err)));
    }
  }

  // Once per call, on its end, abort or failure.
  private release(call: AiCall): void {
    if (call.done) return;
    call.done = true;
    if (call.slot >= 0) this.timers.cancel(call.slot);
    call.slot = -1;
    call.frame = null;
    if (call.phase === Phase.Tokens) this.ctx.counters.ai(A.open, -1);
    call.phase = Phase.Done;
    this.open.delete(call);
    this.ctx.filler.unhold();
  }
}

// A fault that answers nothing needs no answer written.
function ignoreAnswer(): void {}

/** Why a stream cannot take its fault or trailer controls (a 400, whatever this call drew), or null when it can. */
function streamRefusal(call: AiCall): GrammarError | null {
  const choice = call.asked?.fault;
  const f = choice == null ? undefined : [...choice.values, choice.fallback].find((v) => v !== null && !answersNothing(v.kind));
  if (f != null) {
    return new GrammarError('fault', `fault ${f.text} needs a whole answer; a stream takes reset, empty, garbage or hang (break-after=N cuts it after N tokens), or use "stream": false`);
  }
  if (call.asked?.trailers != null) return new GrammarError('trailer', 'trailers apply to non-streamed answers only (an event stream ends with its own closing events)');
  return null;
}

/** The body as a JSON object, or the 400 the APIs give for anything else. */
function parseObject(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseBoundedJson(body.toString('utf8'));
  } catch (err) {
    if (err instanceof DepthError) throw new AiInputError(err.message);
    throw new AiInputError('We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The API expects a JSON payload, but what was sent was not valid JSON.)');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new AiInputError('The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

/** The API's refusal of a prompt over the context window (--ai-context). */
function contextError(call: AiCall, context: number): AiInputError {
  if (call.family.api === 'anthropic') return new AiInputError(`prompt is too long: ${call.promptTokens} tokens > ${context} maximum`);
  return new AiInputError(
    `This model's maximum context length is ${context} tokens. However, your messages resulted in ${call.promptTokens} tokens. Please reduce the length of the messages.`,
    'messages', 'context_length_exceeded');
}

// GET /sse: Server-Sent Events, each event stamped (seq, server send time) so a client behind a gateway can
// measure per-event latency, loss, reordering and hold-back (docs/sse.md). A stream owns one event buffer made
// when it opens and rewritten in place per event (serializers/sse-event.ts); every stream's next event or
// heartbeat is a task of one per-worker Scheduler; nothing is allocated per event.
import { performance } from 'node:perf_hooks';
import { SamplerCache, type Sampler } from '../grammar/distribution.js';
import { formatDuration, parseDuration } from '../grammar/duration.js';
import { GrammarError, quoteValue } from '../grammar/errors.js';
import { MaxQueryNumber, parseBoundedInt } from '../grammar/integer.js';
import { parseSize } from '../grammar/size.js';
import { sendBadValue } from '../http/errors.js';
import { bodiless, makeHead, ownBytes } from '../http/head.js';
import { Scheduler, type Responder, type Task } from '../http/scheduler.js';
import type { HttpRequest, HttpResponse } from '../http/uws.js';
import { S } from '../observe/counters.js';
import { SseEventFrame } from '../serializers/sse-event.js';
import { MaxStampSeq } from '../serializers/stamp.js';
import type { Route, RouteContext } from './context.js';
import { XMock, type Controls } from './controls.js';
import { XDelay } from './xdelay.js';

/**
 * Largest event data (`size`, bytes), or --max-size when lower. Each stream holds its event for its whole life
 * (a thousand streams at the cap hold 1 GiB), every event is one chunk a client buffers whole until its blank
 * line, and SSE carries messages, not bulk bytes (/stream-bytes does those): 1 MiB is far above what SSE
 * APIs send (tokens, notifications: bytes to kilobytes) and bounds what one stream can pin.
 */
export const MaxSseEventBytes = 1024 * 1024;
/** Longest `event` name (UTF-8 bytes). */
export const MaxSseEventNameBytes = 128;
/** Events per stream when `count` is not given. */
export const DefaultSseCount = 10;
/** Time between events when `interval` is not given (ms), or --max-delay when lower. */
const DefaultIntervalMs = 1000;
/**
 * Most events one stream writes in one timer tick: events due together (intervals under the timer's
 * millisecond, or a backlog after backpressure) go out in bursts of at most this many, so one stream cannot
 * hold the event loop.
 */
const BurstEvents = 32;
/**
 * Writes up to this size are copied by both engines (uWS copies every write; the portable engine copies up to
 * 16 KB and keeps a reference to larger ones until the socket took them). A larger event is written as its
 * rewritten head plus its never-rewritten tail, so stamping the next event cannot change bytes still queued.
 */
const CopiedWriteBytes = 16 * 1024;

const SseHead = makeHead(200, 'text/event-stream', [['Cache-Control', 'no-cache']]);
const Heartbeat = ownBytes(': heartbeat\n\n');
const Empty = new ArrayBuffer(0);
const LastEventId = ownBytes('last-event-id');
const XMockSize = ownBytes('x-mock-size');

/** One stream: what the request asked for, then (once open) its response, event buffer and schedule. */
class SseStream {
  res: HttpResponse | null = null;
  frame: SseEventFrame | null = null;
  /** The next event's id. */
  seq: number;
  /** performance.now() the next event is due. */
  nextDue = 0;
  /** No event sent yet: the first one's clock reading anchors the schedule (see sendEvent). */
  anchored = false;
  /** performance.now() of the last event or heartbeat (heartbeats measure from it). */
  lastWriteAt = 0;
  /** The pending timer task's slot, -1 when none. */
  slot = -1;
  /** A write met backpressure: nothing more until onWritable. */
  waiting = false;
  /** Ended, aborted or failed: the response must not be touched. */
  done = false;
  /** The `close` control: the connection closes after the last event. */
  close = false;
  readonly aborted = (): void => this.owner.aborted(this);
  readonly writable = (): boolean => this.owner.writable(this);
  readonly corked = (): void => this.owner.tick(this);

  constructor(
    private readonly owner: SseRoute,
    readonly route: number,
    readonly sampler: Sampler,
    readonly size: number,
    readonly event: string | null,
    readonly retry: ArrayBuffer | null,
    readonly heartbeatMs: number,
    first: number,
    /** The last id to send (MaxStampSeq for an endless stream). */
    readonly last: number,
  ) {
    this.seq = first;
  }
}

/** The /sse route of one worker: its streams and their timers. */
class SseRoute implements Responder, Task {
  private readonly timers = new Scheduler(64);
  private readonly open = new Set<SseStream>();
  private readonly latency = new SamplerCache();
  private readonly defaultInterval: string;

  constructor(private readonly ctx: RouteContext, private readonly controls: Controls) {
    this.defaultInterval = formatDuration(Math.min(DefaultIntervalMs, ctx.config.maxDelayMs));
    this.timers.onTaskError = (err) => ctx.writer.report('/sse', err instanceof Error ? err : new Error(String(err)));
    // A draining worker ends every open stream cleanly, with its terminating chunk (the worker waits for held streams).
    ctx.onDrain.push(() => { for (const s of this.open) this.corkedTick(s); });
  }

  /** The route handler: read the parameters (400 on a bad one), then answer under the request controls. */
  handle(res: HttpResponse, req: HttpRequest): void {
    const ctx = this.ctx;
    let s: SseStream;
    let q: string;
    let h: string;
    let xDelay: string;
    try {
      xDelay = req.getHeader(XDelay);
      q = req.getQuery() ?? '';
      h = this.controls.on ? req.getHeader(XMock) : '';
      s = this.read(req, h);
    } catch (err) {
      sendBadValue(ctx.writer, res, err);
      return;
    }
    // `size` is the event size here, not the size control (which would answer a plain sized body).
    if (q.includes('size')) q = withoutSize(q);
    this.controls.answerControlled(res, req, this, s, 0, 0, null, xDelay, q, h);
  }

  private read(req: HttpRequest, h: string): SseStream {
    const { config } = this.ctx;
    const max = config.maxDelayMs;
    if (this.controls.on && (sizeControl(h) || (this.controls.named && req.getHeader(XMockSize).length !== 0))) {
      throw new GrammarError('size', 'on /sse, size is the event size: give it as the query parameter ?size=, not in X-Mock');
    }
    const intervalText = req.getQuery('interval');
    const sampler = this.latency.get(intervalText ?? this.defaultInterval, 'interval', max);
    const sizeText = req.getQuery('size');
    const sizeCap = Math.min(MaxSseEventBytes, config.maxSizeBytes);
    const size = sizeText === undefined ? 0
      : parseSize(sizeText, 'size', sizeCap, sizeCap === MaxSseEventBytes ? 'a fixed limit of /sse' : '--max-size');
    const countText = req.getQuery('count');
    const count = countText === undefined ? DefaultSseCount
      : parseBoundedInt(countText, 'count', { what: 'event count', min: 0, max: MaxQueryNumber, note: '(0: until the client leaves)' });
    const retryText = req.getQuery('retry');
    const retry = retryText === undefined ? null : ownBytes(`retry: ${Math.round(parseDuration(retryText, 'retry', max))}\n\n`);
    const heartbeatText = req.getQuery('heartbeat');
    const heartbeatMs = heartbeatText === undefined ? 0 : parseDuration(heartbeatText, 'heartbeat', max);
    const event = req.getQuery('event') ?? null;
    if (event !== null) checkEventName(event);
    // The header wins: a browser's reconnection sends it with the newest id, while a polyfill's query
    // parameter stays in the URL it reconnects to.
    const header = req.getHeader(LastEventId);
    const resume = header.length !== 0 ? header : req.getQuery('lastEventId');
    const lastSeen = resume === undefined ? 0
      : parseBoundedInt(resume, header.length !== 0 ? 'Last-Event-ID' : 'lastEventId', { what: 'event id', min: 0, max: MaxStampSeq });
    return new SseStream(this, this.ctx.counters.route, sampler, size, event, retry, heartbeatMs, lastSeen + 1,
      count === 0 ? MaxStampSeq : count);
  }

  /** Responder: the head, then the stream (called corked, under the request's controls, now or after a delay). */
  send(res: HttpResponse, arg: object | null): void {
    const s = arg as SseStream;
    const { writer, counters } = this.ctx;
    writer.writeHead(res, SseHead, 0);
    const code = writer.lastCode;
    // A status control that is not a 2xx with a body refuses the stream (an EventSource gives up on it).
    if (code < 200 || code > 299 || bodiless(code)) {
      counters.stream(s.route, S.refused, 1);
      writer.endEmpty(res);
      return;
    }
    // HEAD: the head a GET gets (chunked), no events.
    if (writer.isHead(res)) {
      writer.endHead(res, -1);
      return;
    }
    s.close = writer.closing();
    s.res = res;
    s.frame = new SseEventFrame(s.size, s.event);
    res.onAborted(s.aborted);
    res.onWritable(s.writable);
    counters.stream(s.route, S.open, 1);
    // Counted as streaming (the streaming gauge, in-flight) and waited for by a draining worker.
    this.ctx.filler.hold();
    this.open.add(s);
    const now = performance.now();
    s.nextDue = now;
    s.lastWriteAt = now;
    if (s.retry !== null) {
      counters.stream(s.route, S.bytesOut, s.retry.byteLength);
      if (!res.write(s.retry)) {
        s.waiting = true;
        return;
      }
    }
    this.tick(s);
  }

  /** Task: a stream's timer is due. */
  run(arg: object): void {
    const s = arg as SseStream;
    s.slot = -1;
    if (!s.done) this.corkedTick(s);
  }

  /** Write what is due (events, else a heartbeat), then end, wait for the socket, or arm the next timer. Runs corked. */
  tick(s: SseStream): void {
    if (this.ctx.draining || s.seq > s.last) {
      this.finish(s);
      return;
    }
    const res = s.res as HttpResponse;
    const now = performance.now();
    let ok = true;
    let sent = 0;
    while (ok && s.nextDue <= now && s.seq <= s.last && sent < BurstEvents) {
      ok = this.sendEvent(s, res);
      sent++;
      // From the due time, not the send time: a late event does not push the schedule back (no drift).
      s.nextDue += s.sampler.sample(this.ctx.rng);
    }
    if (sent !== 0) s.lastWriteAt = now;
    if (s.seq > s.last) {
      this.finish(s);
      return;
    }
    if (sent === 0 && s.heartbeatMs > 0 && now - s.lastWriteAt >= s.heartbeatMs) {
      ok = res.write(Heartbeat);
      this.ctx.counters.stream(s.route, S.bytesOut, Heartbeat.byteLength);
      s.lastWriteAt = now;
    }
    // Backpressure: queue nothing more; onWritable sends what fell due meanwhile (late, with its real send time).
    if (!ok) {
      s.waiting = true;
      return;
    }
    let at = s.nextDue;
    if (s.heartbeatMs > 0 && s.lastWriteAt + s.heartbeatMs < at) at = s.lastWriteAt + s.heartbeatMs;
    s.slot = this.timers.scheduleTask(Math.max(0, at - now), this, s, 0);
  }

  /** onWritable: the socket took what was queued; go on where the stream stopped. */
  writable(s: SseStream): boolean {
    if (!s.done && s.waiting) {
      s.waiting = false;
      this.corkedTick(s);
    }
    return true;
  }

  /** onAborted: the client left; the response must not be touched again. */
  aborted(s: SseStream): void {
    if (s.done) return;
    s.done = true;
    s.res = null;
    this.release(s);
  }

  // One event, stamped with its real send time; false under backpressure.
  private sendEvent(s: SseStream, res: HttpResponse): boolean {
    const f = s.frame as SseEventFrame;
    const t = performance.now();
    // The schedule runs from the first event's own stamp, so every later stamp is at or after its due time
    // as a client computes it from the stamps (first sent + intervals), whatever delayed the first.
    if (!s.anchored) {
      s.anchored = true;
      s.nextDue = t;
    }
    const start = f.stamp(s.seq, performance.timeOrigin + t);
    s.seq++;
    const bytes = f.bytes.length - start;
    const counters = this.ctx.counters;
    counters.stream(s.route, S.messagesOut, 1);
    counters.stream(s.route, S.bytesOut, bytes);
    if (bytes <= CopiedWriteBytes) return res.write(f.whole(start));
    const headOk = res.write(f.head(start));
    return res.write(f.tail()) && headOk;
  }

  // Cork and tick; anything thrown closes this stream's connection and is reported, never reaching the loop.
  private corkedTick(s: SseStream): void {
    try {
      (s.res as HttpResponse).cork(s.corked);
    } catch (err) {
      this.fail(s, err);
    }
  }

  // The stream's end: the terminating chunk (and the connection's close under the `close` control). Runs corked.
  private finish(s: SseStream): void {
    const res = s.res as HttpResponse;
    s.done = true;
    s.res = null;
    this.release(s);
    if (s.close) res.end(Empty, true);
    else res.end();
  }

  private fail(s: SseStream, err: unknown): void {
    const res = s.res;
    if (!s.done) {
      s.done = true;
      s.res = null;
      this.release(s);
    }
    // Half a stream is on the wire: an error response cannot follow it, so the connection closes.
    try {
      res?.close();
    } catch {
      // Already closed.
    }
    this.ctx.writer.report('/sse', err instanceof Error ? err : new Error(String(err)));
  }

  // Once per stream, on end, abort or failure.
  private release(s: SseStream): void {
    if (s.slot >= 0) this.timers.cancel(s.slot);
    s.slot = -1;
    s.frame = null;
    const counters = this.ctx.counters;
    counters.stream(s.route, S.open, -1);
    counters.stream(s.route, S.closed, 1);
    this.open.delete(s);
    this.ctx.filler.unhold();
  }
}

/** Whether an X-Mock header value sets `size`. */
function sizeControl(h: string): boolean {
  return h.length !== 0 && h.includes('size') && new URLSearchParams(h).has('size');
}

/** The query string without its `size` parameters. */
function withoutSize(q: string): string {
  const p = new URLSearchParams(q);
  if (!p.has('size')) return q;
  p.delete('size');
  return p.toString();
}

/** An `event` name a `event:` line can carry: 1 to MaxSseEventNameBytes bytes, no line break. */
function checkEventName(name: string): void {
  if (/[\r\n]/.test(name)) throw new GrammarError('event', `invalid event name ${quoteValue(name)}: it must not contain a line break (CR or LF)`);
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > MaxSseEventNameBytes) {
    throw new GrammarError('event', `invalid event name ${quoteValue(name)}: use 1 to ${MaxSseEventNameBytes} bytes`);
  }
}

/** /sse. */
export function sseRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const sse = new SseRoute(ctx, controls);
  return [
    { pattern: '/sse', about: 'Server-Sent Events: count stamped events every interval (size, event, retry, heartbeat, Last-Event-ID)',
      handler: (res, req) => sse.handle(res, req) },
  ];
}

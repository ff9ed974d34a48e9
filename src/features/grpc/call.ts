// One gRPC call on one HTTP/2 stream: reading frames, writing messages and the status, the call's timers
// (one task Scheduler for every call of the worker), cancellation and deadlines. Stream events reach the
// call through listeners shared by every stream (the call rides on the stream under a symbol), so a call
// costs one object and no closures.
import type { ServerHttp2Stream } from 'node:http2';
import type { Scheduler, Task } from '../../http/scheduler.js';
import { Code, CodeText, encodeGrpcMessage, FrameReader, type FrameSink } from './framing.js';
import type { GrpcCounters } from './counters.js';

/** What a method does at each point of a call; one instance per method serves every call. */
export interface Method {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** Row in the call counters. */
  readonly index: number;
  /** False for unary and server-streaming methods: a second request message is an error. */
  readonly clientStreams: boolean;
  /** The call is set up (controls read, before any message). */
  start(call: Call): void;
  /** One request message (its frame, prefix included: the message is frame[5..]). */
  message(call: Call, frame: Buffer): void;
  /** The client half-closed (sent its last message). */
  halfClose(call: Call): void;
  /** The call's timer fired: `first` for the one proceed() set (after x-mock-delay), else a later tick. */
  timer(call: Call, first: boolean): void;
  /** The call ended, however (status sent, cancelled, reset): let go of what it holds. */
  closed(call: Call): void;
}

/** Per-call controls from metadata (controls.ts), with their defaults. */
export interface CallControls {
  delayMs: number;
  status: number;
  /** Reply payload bytes; -1: echo the request's payload. */
  size: number;
  messages: number;
  intervalMs: number;
}

/** Everything a call needs from its worker, shared by every call. */
export interface CallEnv {
  readonly tasks: Scheduler;
  readonly counters: GrpcCounters;
  readonly open: Set<Call>;
  readonly maxMessageBytes: number;
  /** Told when a method threw (the call got INTERNAL and the worker went on). */
  readonly onError: (err: unknown, where: string) => void;
}

const CallKey = Symbol('grpc.call');
type CallStream = ServerHttp2Stream & { [CallKey]?: Call };

const TimerFirst = 1;
const TimerTick = 2;
const TimerDeadline = 3;

// Made once: node:http2 copies header objects into its own list, so every call can pass the same ones.
const ReplyHeaders = { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' };
const WaitForTrailers = { waitForTrailers: true };
const EndStream = { endStream: true };
const OkTrailers = { 'grpc-status': '0' };

/** The call state; methods keep theirs in the `slots` below (typed per method by convention). */
export class Call implements FrameSink {
  readonly reader: FrameReader;
  /** The status was sent (or the stream went away): nothing more is written. */
  done = false;
  /** The client half-closed. */
  halfClosed = false;
  /** Request messages received. */
  requests = 0;
  /** Messages sent. */
  sent = 0;
  headersSent = false;
  /** Waiting for 'drain' before the next timer tick (a stream without interval outran the socket). */
  waitingDrain = false;
  // Pending trailers once headers went out.
  private trailerCode = 0;
  private trailerMessage = '';
  private timerSlot = -1;
  private deadlineSlot = -1;
  // Method-owned state (what each holds is documented in its method).
  /** A request frame kept for later (unary). */
  frame: Buffer | null = null;
  /** Messages kept for later (Bidi's queue before the delay ran out). */
  parts: Buffer[] | null = null;
  /** A body shared by a stream's messages, ClientStream's joined fields, or a service name (health) as bytes. */
  body: Buffer | null = null;
  /** A text the method keeps (health: the service). */
  text = '';
  /** A number the method keeps (ClientStream: payload bytes received; Bidi: 1 once open). */
  count = 0;
  /** A second number the method keeps (ClientStream: bytes of the messages joined so far; Bidi: bytes queued). */
  total = 0;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly method: Method,
    readonly controls: CallControls,
    private readonly env: CallEnv,
  ) {
    this.reader = new FrameReader(env.maxMessageBytes);
  }

  /** Wire the stream to this call and start it; `timeoutMs` from grpc-timeout (-1: none). */
  begin(timeoutMs: number): void {
    const stream = this.stream as CallStream;
    stream[CallKey] = this;
    this.env.open.add(this);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('error', onError);
    if (timeoutMs >= 0) this.deadlineSlot = this.env.tasks.scheduleTask(timeoutMs, CallTasks, this, TimerDeadline);
    this.guard(startMethod, null, 'start');
  }

  /** FrameSink: one complete request frame. */
  onFrame(frame: Buffer): void {
    if (this.done) return;
    this.requests++;
    if (this.requests > 1 && !this.method.clientStreams) {
      this.finish(Code.INTERNAL, `grpc: ${this.method.path} is not client-streaming but the client sent more than one message`);
      return;
    }
    this.method.message(this, frame);
  }

  /**
   * Go on after x-mock-delay: then x-mock-status (when not OK) ends the call, else method.timer(call, true).
   * Called once per call, when the method is ready to reply.
   */
  proceed(): void {
    if (this.controls.delayMs > 0) this.schedule(this.controls.delayMs, TimerFirst);
    else this.due(true);
  }

  /** Call method.timer(call, false) after `ms` (the call's one timer). */
  tick(ms: number): void {
    this.schedule(ms, TimerTick);
  }

  /** Send one message frame (headers first when needed); false when the stream buffer is full. */
  send(frame: Buffer): boolean {
    if (this.done) return false;
    this.headers();
    this.sent++;
    return this.stream.write(frame);
  }

  /** Send one message written as two buffers (a fresh head and a shared body), in one write. */
  sendPair(head: Buffer, body: Buffer): boolean {
    if (this.done) return false;
    this.headers();
    this.sent++;
    const stream = this.stream;
    stream.cork();
    stream.write(head);
    const ok = stream.write(body);
    stream.uncork();
    return ok;
  }

  /** Resume method.timer(call, false) once the stream drains. */
  awaitDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    this.stream.once('drain', onDrain);
  }

  /** End the call with `code` (and grpc-message `message` when not OK); later calls do nothing. */
  finish(code: number, message: string = ''): void {
    if (this.done) return;
    this.done = true;
    this.release();
    this.env.counters.count(this.method.index, code);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (!this.headersSent) {
      // Trailers-only: one HEADERS frame carrying the status, as gRPC answers a call that sends no message.
      this.headersSent = true;
      stream.respond(statusHeaders(code, message), EndStream);
      return;
    }
    this.trailerCode = code;
    this.trailerMessage = message;
    stream.end();
  }

  /** Run method code, turning a throw into INTERNAL for this call only. */
  guard(fn: (call: Call, arg: Buffer | null) => void, arg: Buffer | null, where: string): void {
    try {
      fn(this, arg);
    } catch (err) {
      this.env.onError(err, `${this.method.path} ${where}`);
      this.finish(Code.INTERNAL, 'internal error in the mock server (logged)');
    }
  }

  /** @internal The call's timer fired. */
  due(first: boolean): void {
    if (this.done) return;
    if (first && this.controls.status !== Code.OK) {
      this.finish(this.controls.status, `mock status ${CodeText[this.controls.status]} asked by x-mock-status`);
      return;
    }
    this.method.timer(this, first);
  }

  /** @internal The deadline passed. */
  expire(): void {
    this.deadlineSlot = -1;
    this.finish(Code.DEADLINE_EXCEEDED, 'deadline exceeded (grpc-timeout)');
  }

  /** @internal A task slot ran (it must not be cancelled later: the scheduler may have reused it). */
  ran(): void {
    this.timerSlot = -1;
  }

  /** @internal node:http2 wants this call's trailers. */
  trailers(): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.sendTrailers(this.trailerCode === Code.OK ? OkTrailers : trailerHeaders(this.trailerCode, this.trailerMessage));
  }

  /** @internal The stream closed: count a call that ended without a status as CANCELLED; free everything. */
  close(): void {
    if (!this.done) {
      this.done = true;
      this.env.counters.count(this.method.index, Code.CANCELLED);
    }
    this.release();
    this.env.open.delete(this);
    try {
      this.method.closed(this);
    } catch (err) {
      this.env.onError(err, `${this.method.path} closed`);
    }
  }

  private headers(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(ReplyHeaders, WaitForTrailers);
    this.stream.on('wantTrailers', onWantTrailers);
  }

  private schedule(ms: number, kind: number): void {
    if (this.timerSlot >= 0) this.env.tasks.cancel(this.timerSlot);
    this.timerSlot = this.env.tasks.scheduleTask(ms, CallTasks, this, kind);
  }

  private release(): void {
    if (this.timerSlot >= 0) this.env.tasks.cancel(this.timerSlot);
    if (this.deadlineSlot >= 0) this.env.tasks.cancel(this.deadlineSlot);
    this.timerSlot = -1;
    this.deadlineSlot = -1;
  }
}

// The call's timers, one Task for every call: arg is the call, n the kind.
const CallTasks: Task = {
  run(arg: object, n: number): void {
    const call = arg as Call;
    if (n === TimerDeadline) {
      call.expire();
      return;
    }
    call.ran();
    call.guard(n === TimerFirst ? timerFirst : timerTick, null, 'timer');
  },
};

function timerFirst(call: Call): void {
  call.due(true);
}

function timerTick(call: Call): void {
  if (!call.done) call.method.timer(call, false);
}

function startMethod(call: Call): void {
  call.method.start(call);
}

function frameMethod(call: Call, chunk: Buffer | null): void {
  if (!call.reader.push(chunk as Buffer, call)) call.finish(call.reader.errorCode, call.reader.error);
}

function endMethod(call: Call): void {
  call.halfClosed = true;
  if (!call.reader.end()) {
    call.finish(call.reader.errorCode, call.reader.error);
    return;
  }
  call.method.halfClose(call);
}

// Shared stream listeners: `this` is the stream, the call rides on it.
function onData(this: CallStream, chunk: Buffer): void {
  const call = this[CallKey];
  if (call !== undefined && !call.done) call.guard(frameMethod, chunk, 'message');
}

function onEnd(this: CallStream): void {
  const call = this[CallKey];
  if (call !== undefined && !call.done) call.guard(endMethod, null, 'half-close');
}

function onDrain(this: CallStream): void {
  const call = this[CallKey];
  if (call === undefined) return;
  call.waitingDrain = false;
  if (!call.done) call.guard(timerTick, null, 'drain');
}

function onWantTrailers(this: CallStream): void {
  this[CallKey]?.trailers();
}

function onClose(this: CallStream): void {
  const call = this[CallKey];
  if (call === undefined) return;
  this[CallKey] = undefined;
  call.close();
}

// A stream error (a reset, a write after the peer left) is the end of that call, never of the worker;
// 'close' follows and cleans up.
function onError(): void {}

/** Trailers-only headers of a call ending with `code` before any message. */
export function statusHeaders(code: number, message: string): Record<string, string | number> {
  const h: Record<string, string | number> = { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': CodeText[code] };
  if (message !== '') h['grpc-message'] = encodeGrpcMessage(message);
  return h;
}

function trailerHeaders(code: number, message: string): Record<string, string> {
  const h: Record<string, string> = { 'grpc-status': CodeText[code] };
  if (message !== '') h['grpc-message'] = encodeGrpcMessage(message);
  return h;
}

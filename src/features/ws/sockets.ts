// Open WebSockets of one worker: what each socket does (echo, a stamped stream, a configured script), its
// timers (on ONE task scheduler for every socket: pushes, close-after, idle checks) and its counters. Nothing
// is allocated per message: stream messages are a template rewritten in place (serializers/stamp.ts) and sent
// (the engine copies on send), script messages are made at startup.
import { performance } from 'node:perf_hooks';
import type { EngineWebSocket } from '../../http/engine.js';
import { Scheduler, type Task } from '../../http/scheduler.js';
import { BoundedCache } from '../../grammar/cache.js';
import type { Random } from '../../grammar/random.js';
import { S, type WorkerCounters } from '../../observe/counters.js';
import { stampTemplate, writeStamp } from '../../serializers/stamp.js';
import type { WsPlan } from '../../grammar/ws-plan.js';

/** What a socket does with its time. */
export const enum Kind {
  /** Echo every message. */
  Echo = 0,
  /** Push plan.count stamped messages, one per plan.interval. */
  Stream = 1,
  /** Push the configured messages, one per interval; echo too when the script says so. */
  Script = 2,
}

/** A configured WebSocket route's messages, made once when the route is configured. */
export interface Script {
  readonly messages: readonly Buffer[];
  readonly binary: readonly boolean[];
  /** Echo client messages as well. */
  readonly echo: boolean;
  /** Close with this code after the last message (0: stay open). */
  readonly closeCode: number;
}

/**
 * Bytes a socket may have queued before the server stops adding: a stream waits for the drain (its next
 * message goes out late, stamped with its real send time), an echo socket is closed with 1008 (its client is
 * not reading). Bounds memory per socket whatever the client does.
 */
export const MaxBufferedBytes = 1024 * 1024;

const TooBig = Buffer.from('message over the max-message limit');
const NotReading = Buffer.from('not reading: over 1 MiB of echoes queued');
const Idle = Buffer.from('idle timeout');
const Closing = Buffer.from('closed by the close control');
const Done = Buffer.from('stream complete');
const GoingAway = Buffer.from('server shutting down');

/** One socket's state, from its upgrade to its close; the engine hands it back as the socket's user data. */
export class Session {
  ws: EngineWebSocket<Session> | null = null;
  open = false;
  /** Messages the server sent. */
  sent = 0;
  /** The next stream sequence number, or script index. */
  next = 0;
  /** performance.now() the next push is due. */
  due = 0;
  pushTimer = -1;
  closeTimer = -1;
  idleTimer = -1;
  /** performance.now() of the last client message (idle checks). */
  heard = 0;
  /** A push is waiting for the socket to drain. */
  held = false;
  /** The server sent its close frame: nothing more goes out. */
  ending = false;
  /** The last send left bytes queued: check the queue before the next (a native call, skipped otherwise). */
  pressured = false;
  template: Buffer | null = null;
  // A deferred upgrade's handshake values (the request is gone by then).
  key = '';
  protocol = '';
  extensions = '';
  context: object | null = null;

  constructor(readonly route: number, readonly plan: WsPlan, readonly kind: Kind, readonly script: Script | null) {}
}

/** The worker's open sockets and the behaviour every WebSocket route shares. */
export class Sockets {
  /** Every socket's timers: one Node timer armed for the earliest. */
  private readonly tasks = new Scheduler(256);
  private readonly live = new Set<Session>();
  // Stamped templates by size, shared (the engine copies on send); big ones are per socket.
  private readonly templates = new BoundedCache<Buffer>(64, 8 * 1024 * 1024, (b) => b.length);
  private current: Session | null = null;
  private readonly corkedPush = (): void => this.push(this.current as Session);
  private readonly pushTask: Task = { run: (s) => this.pushTimed(s as Session) };
  private readonly closeTask: Task = { run: (s) => this.closeTimed(s as Session) };
  private readonly idleTask: Task = { run: (s) => this.idleCheck(s as Session) };

  constructor(private readonly counters: WorkerCounters, private readonly rng: Random, onError: (err: unknown) => void) {
    this.tasks.onTaskError = onError;
  }

  /** Sockets open now. */
  get open(): number {
    return this.live.size;
  }

  /** A socket opened (the engine's open callback). */
  opened(ws: EngineWebSocket<Session>): void {
    const s = ws.getUserData();
    s.ws = ws;
    s.open = true;
    this.live.add(s);
    this.counters.stream(s.route, S.open, 1);
    const plan = s.plan;
    if (plan.idleMs > 0) {
      s.heard = performance.now();
      s.idleTimer = this.tasks.scheduleTask(plan.idleMs, this.idleTask, s, 0);
    }
    const close = plan.close;
    if (close !== null) {
      if (close.afterMessages === 0) {
        end(s, close.code, Closing);
        return;
      }
      if (close.afterMs >= 0) s.closeTimer = this.tasks.scheduleTask(close.afterMs, this.closeTask, s, 0);
    }
    if (s.kind === Kind.Stream) {
      s.template = this.template(plan.size);
      s.next = 1;
    }
    if (s.kind !== Kind.Echo) {
      s.due = performance.now();
      this.push(s);
    }
  }

  /** A client message (the engine's message callback). */
  received(ws: EngineWebSocket<Session>, message: ArrayBuffer, isBinary: boolean): void {
    const s = ws.getUserData();
    const bytes = message.byteLength;
    this.counters.stream(s.route, S.messagesIn, 1);
    this.counters.stream(s.route, S.bytesIn, bytes);
    if (s.plan.idleMs > 0) s.heard = performance.now();
    if (s.ending) return;
    if (bytes > s.plan.maxMessage) {
      end(s, 1009, TooBig);
      return;
    }
    if (s.kind === Kind.Stream || (s.kind === Kind.Script && !(s.script as Script).echo)) return;
    if (s.pressured && ws.getBufferedAmount() > MaxBufferedBytes) {
      end(s, 1008, NotReading);
      return;
    }
    s.pressured = ws.send(message, isBinary, true) !== 1;
    this.sentOne(s, bytes);
  }

  /** The socket took its queue (the engine's drain callback): a held push goes now. */
  drained(ws: EngineWebSocket<Session>): void {
    const s = ws.getUserData();
    s.pressured = ws.getBufferedAmount() > 0;
    if (s.held && s.open && !s.ending) {
      s.held = false;
      this.push(s);
    }
  }

  /** The socket is gone, whatever the reason (the engine's close callback). */
  closed(ws: EngineWebSocket<Session>): void {
    const s = ws.getUserData();
    if (!s.open) return;
    s.open = false;
    s.ws = null;
    this.live.delete(s);
    this.tasks.cancel(s.pushTimer);
    this.tasks.cancel(s.closeTimer);
    this.tasks.cancel(s.idleTimer);
    s.pushTimer = s.closeTimer = s.idleTimer = -1;
    this.counters.stream(s.route, S.open, -1);
    this.counters.stream(s.route, S.closed, 1);
  }

  /** Shutdown: tell every open socket 1001 Going Away (each closes when its client answers, or at the cut). */
  goingAway(): void {
    for (const s of this.live) {
      const ws = s.ws as EngineWebSocket<Session>;
      this.current = s;
      ws.cork(this.endGoingAway);
    }
  }

  private readonly endGoingAway = (): void => {
    const s = this.current as Session;
    if (s.open && !s.ending) end(s, 1001, GoingAway);
  };

  private template(size: number): Buffer {
    const key = String(size);
    let t = this.templates.get(key);
    if (t === undefined) {
      t = stampTemplate(size);
      this.templates.set(key, t);
    }
    return t;
  }

  private sentOne(s: Session, bytes: number): void {
    s.sent++;
    this.counters.stream(s.route, S.messagesOut, 1);
    this.counters.stream(s.route, S.bytesOut, bytes);
    const close = s.plan.close;
    if (close !== null && close.afterMessages > 0 && s.sent >= close.afterMessages) end(s, close.code, Closing);
  }

  private pushTimed(s: Session): void {
    s.pushTimer = -1;
    if (!s.open || s.ending) return;
    this.current = s;
    (s.ws as EngineWebSocket<Session>).cork(this.corkedPush);
  }

  // Send the message due now (inside a cork), then plan the next from the previous due time, so intervals
  // do not drift by the timer's lateness.
  private push(s: Session): void {
    const ws = s.ws as EngineWebSocket<Session>;
    if (s.pressured && ws.getBufferedAmount() > MaxBufferedBytes) {
      s.held = true;
      return;
    }
    const plan = s.plan;
    let last: boolean;
    if (s.kind === Kind.Stream) {
      const t = s.template as Buffer;
      const now = performance.now();
      // The schedule runs from the first message's own stamp, so every later stamp is at or after its due
      // time as a client computes it from the stamps (first sent + intervals), whatever delayed the first.
      if (s.next === 1) s.due = now;
      writeStamp(t, 0, s.next, performance.timeOrigin + now);
      s.pressured = ws.send(t, plan.binary, true) !== 1;
      last = plan.count !== 0 && s.next >= plan.count;
      s.next++;
      this.sentOne(s, t.length);
    } else {
      const script = s.script as Script;
      if (script.messages.length === 0) return;
      const m = script.messages[s.next];
      s.pressured = ws.send(m, script.binary[s.next], true) !== 1;
      s.next++;
      last = s.next >= script.messages.length;
      this.sentOne(s, m.length);
    }
    if (!s.open || s.ending) return;
    if (last) {
      if (s.kind === Kind.Stream) end(s, 1000, Done);
      else if ((s.script as Script).closeCode !== 0) end(s, (s.script as Script).closeCode, Done);
      return;
    }
    s.due += plan.interval.sample(this.rng) + (plan.jitterMs > 0 ? plan.jitterMs * this.rng.next() : 0);
    s.pushTimer = this.tasks.scheduleTask(Math.max(0, s.due - performance.now()), this.pushTask, s, 0);
  }

  private closeTimed(s: Session): void {
    s.closeTimer = -1;
    if (!s.open || s.ending) return;
    this.current = s;
    (s.ws as EngineWebSocket<Session>).cork(this.endClosing);
  }

  private readonly endClosing = (): void => {
    const s = this.current as Session;
    if (s.open && !s.ending) end(s, (s.plan.close as { code: number }).code, Closing);
  };

  private idleCheck(s: Session): void {
    s.idleTimer = -1;
    if (!s.open || s.ending) return;
    const quiet = performance.now() - s.heard;
    if (quiet < s.plan.idleMs) {
      s.idleTimer = this.tasks.scheduleTask(s.plan.idleMs - quiet, this.idleTask, s, 0);
      return;
    }
    this.current = s;
    (s.ws as EngineWebSocket<Session>).cork(this.endIdle);
  }

  private readonly endIdle = (): void => {
    const s = this.current as Session;
    if (s.open && !s.ending) end(s, 1001, Idle);
  };
}

// Send the close frame once; the socket's close callback comes when the engine has closed it.
function end(s: Session, code: number, reason: Buffer): void {
  s.ending = true;
  (s.ws as EngineWebSocket<Session>).end(code, reason);
}

// Deferred responses: the one place that owns response timers. Thousands can be pending at once, so
// they live in preallocated slots ordered by a binary min-heap of due times with ONE Node timer armed
// for the earliest; a per-request setTimeout would allocate a Timeout and a closure each time.
import { performance } from 'node:perf_hooks';
import type { HttpResponse } from './uws.js';
import { failed } from './contain.js';
import type { WorkerCounters } from '../observe/counters.js';
import type { JournalEntry } from '../observe/journal.js';
import type { Recorder } from './recorder.js';
import type { Writer } from './writer.js';

/** Writes a deferred response; called corked, once, when the slot is due. Instances are made at startup. */
export interface Responder {
  send(res: HttpResponse, arg: object | null, n: number): void;
}

/** A timed job that is not a response (a stream's next push, an idle check): run once when due, uncorked. */
export interface Task {
  run(arg: object, n: number): void;
}

const InitialSlots = 1024;

/** Per-thread scheduler of deferred responses. */
export class Scheduler {
  private res: (HttpResponse | null)[] = [];
  private responder: (Responder | null)[] = [];
  private task: (Task | null)[] = [];
  private arg: (object | null)[] = [];
  // The journal entry of each pending response (null when the journal is off), to record its status.
  private entry: (JournalEntry | null)[] = [];
  private n: number[] = [];
  private route = new Int32Array(0);
  private counters: WorkerCounters | null = null;
  // The worker's writer (failures answer through it; its journal recorder sees deferred statuses); null until attach().
  private writer: Writer | null = null;
  private due = new Float64Array(0);
  private heapPos = new Int32Array(0);
  private heap = new Int32Array(0);
  private size = 0;
  private free: number[] = [];
  private aborters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedAt = Infinity;
  private readonly fire = (): void => this.onTimer();
  // Set before res.cork(corkedSend) so the cork callback needs no closure per response.
  private current = -1;
  private readonly corkedSend = (): void => {
    const s = this.current;
    // Attribute the deferred response to the route that scheduled it.
    if (this.counters !== null) this.counters.route = this.route[s];
    const entry = this.entry[s];
    if (entry === null) {
      (this.responder[s] as Responder).send(this.res[s] as HttpResponse, this.arg[s], this.n[s]);
      return;
    }
    const recorder = (this.writer as Writer).recorder as Recorder;
    recorder.beginAnswer(entry);
    try {
      (this.responder[s] as Responder).send(this.res[s] as HttpResponse, this.arg[s], this.n[s]);
    } finally {
      recorder.endAnswer(entry);
    }
  };
  /** Told when a task threw (the others go on). */
  onTaskError: ((err: unknown) => void) | null = null;
  /** Called when pending drops to zero (used by graceful shutdown). */
  onIdle: (() => void) | null = null;

  constructor(initialSlots = InitialSlots) {
    this.grow(initialSlots);
  }

  /** Remember each response's route for the counters, and answer failures through the writer (set once per worker). */
  attach(counters: WorkerCounters, writer: Writer): void {
    this.counters = counters;
    this.writer = writer;
  }

  /** Responses waiting for their time. */
  get pending(): number {
    return this.size;
  }

  /** Defer `responder.send(res, arg, n)` by delayMs. Registers onAborted; call from the route handler. */
  schedule(res: HttpResponse, delayMs: number, responder: Responder, arg: object | null, n: number): void {
    if (this.free.length === 0) this.grow(this.due.length * 2);
    const slot = this.free.pop() as number;
    this.res[slot] = res;
    this.responder[slot] = responder;
    this.arg[slot] = arg;
    this.n[slot] = n;
    const recorder = this.writer === null ? null : this.writer.recorder;
    this.entry[slot] = recorder === null ? null : recorder.answeringEntry();
    if (this.counters !== null) this.route[slot] = this.counters.route;
    const due = performance.now() + delayMs;
    this.due[slot] = due;
    res.onAborted(this.aborters[slot]);
    this.push(slot);
    if (due < this.armedAt) this.arm(due);
  }

  /**
   * Run task.run(arg, n) after delayMs (never early). Returns the slot, for cancel() until the task runs.
   * Use a scheduler of its own for tasks: pending, onIdle and flushAll count responses, not tasks.
   */
  scheduleTask(delayMs: number, task: Task, arg: object, n: number): number {
    if (this.free.length === 0) this.grow(this.due.length * 2);
    const slot = this.free.pop() as number;
    this.task[slot] = task;
    this.arg[slot] = arg;
    this.n[slot] = n;
    const due = performance.now() + delayMs;
    this.due[slot] = due;
    this.push(slot);
    if (due < this.armedAt) this.arm(due);
    return slot;
  }

  /** Forget a task that has not run (its owner is gone); a slot that ran or was cancelled is ignored. */
  cancel(slot: number): void {
    if (slot < 0 || slot >= this.heapPos.length || this.heapPos[slot] < 0 || this.task[slot] === null) return;
    this.remove(slot);
    this.release(slot);
  }

  /** Answer every pending response now (shutdown past its grace, or a forced stop). */
  flushAll(): void {
    while (this.size > 0) this.complete(this.heap[0]);
    this.disarm();
  }

  private grow(n: number): void {
    const old = this.due.length;
    const due = new Float64Array(n);
    due.set(this.due);
    const heapPos = new Int32Array(n);
    heapPos.set(this.heapPos);
    const heap = new Int32Array(n);
    heap.set(this.heap);
    const route = new Int32Array(n);
    route.set(this.route);
    this.route = route;
    this.due = due;
    this.heapPos = heapPos;
    this.heap = heap;
    for (let s = n - 1; s >= old; s--) {
      this.res.push(null);
      this.responder.push(null);
      this.task.push(null);
      this.arg.push(null);
      this.entry.push(null);
      this.n.push(0);
      this.free.push(s);
    }
    // One abort handler per slot, made once: uWS calls it with no arguments, so it must know its slot.
    for (let s = old; s < n; s++) this.aborters.push(this.makeAborter(s));
  }

  private makeAborter(slot: number): () => void {
    return () => {
      // The client left: forget the response (touching it now would throw) and free the slot.
      if (this.heapPos[slot] < 0) return;
      // A deferred HEAD that will never reach endHead: unmark it (else every GET pays the HEAD check).
      if (this.writer !== null) this.writer.forgetHead(this.res[slot] as HttpResponse);
      this.remove(slot);
      this.release(slot);
    };
  }

  private onTimer(): void {
    this.timer = null;
    this.armedAt = Infinity;
    // Never early: a timer that fires before its due time (Node may, by < 1 ms) re-arms instead,
    // because users assert "answered after at least the delay".
    const now = performance.now();
    while (this.size > 0 && this.due[this.heap[0]] <= now) this.complete(this.heap[0]);
    if (this.size > 0) this.arm(this.due[this.heap[0]]);
  }

  private complete(slot: number): void {
    this.remove(slot);
    const task = this.task[slot];
    if (task !== null) {
      const arg = this.arg[slot] as object;
      const n = this.n[slot];
      this.release(slot);
      // A task that throws must not stop the others (nor escape the timer and end the worker).
      try {
        task.run(arg, n);
      } catch (err) {
        this.onTaskError?.(err);
      }
      return;
    }
    const res = this.res[slot] as HttpResponse;
    this.current = slot;
    // A responder that throws must not escape the timer (it would kill the worker and every pending
    // response): that one response gets a 500 or is closed; the loop goes on with the others.
    try {
      res.cork(this.corkedSend);
    } catch (err) {
      if (this.writer === null) throw err;
      failed(this.writer, res, 'delayed response', err);
    }
    this.release(slot);
  }

  private release(slot: number): void {
    this.res[slot] = null;
    this.responder[slot] = null;
    this.task[slot] = null;
    this.arg[slot] = null;
    this.entry[slot] = null;
    this.free.push(slot);
    if (this.size === 0 && this.onIdle !== null) this.onIdle();
  }

  private arm(due: number): void {
    this.disarm();
    this.armedAt = due;
    const wait = Math.max(1, Math.ceil(due - performance.now()));
    this.timer = setTimeout(this.fire, wait);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = Infinity;
  }

  private push(slot: number): void {
    const i = this.size++;
    this.heap[i] = slot;
    this.heapPos[slot] = i;
    this.up(i);
  }

  private remove(slot: number): void {
    const i = this.heapPos[slot];
    const last = --this.size;
    if (i !== last) {
      const moved = this.heap[last];
      this.heap[i] = moved;
      this.heapPos[moved] = i;
      this.down(i);
      this.up(this.heapPos[moved]);
    }
    this.heapPos[slot] = -1;
  }

  private up(i: number): void {
    const h = this.heap;
    const d = this.due;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[h[p]] <= d[h[i]]) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    const d = this.due;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && d[h[r]] < d[h[l]] ? r : l;
      if (d[h[i]] <= d[h[c]]) break;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const sa = h[a];
    const sb = h[b];
    h[a] = sb;
    h[b] = sa;
    this.heapPos[sb] = a;
    this.heapPos[sa] = b;
  }
}

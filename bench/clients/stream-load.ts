// Holds thousands of server-push streams open (WebSockets on /ws/stream, or Server-Sent Events on /sse) and
// judges every message by its stamp (src/serializers/stamp.ts): how late the server sent it against its own
// schedule, and how long it took to arrive. Prints `{"event":"open",…}` once every stream has its first
// message, then, after settleSec + durationSec, one result line (StreamLoadResult), and exits (which closes
// every stream at once: the server's open gauge must fall back to 0).
// Usage: node dist/bench/clients/stream-load.js '{"kind":"ws","port":P,"path":"/ws/stream?interval=1s&size=64&count=0",…}'
import { request } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { readStamp } from '../../src/serializers/stamp.js';
import { FrameReader, Opcode, upgradeHeadEnd, upgradeRequest } from '../lib/ws-wire.js';

/** What the parent asks for. */
export interface StreamLoadOptions {
  kind: 'ws' | 'sse';
  port: number;
  path: string;
  connections: number;
  /** The stream's interval (ms), for the schedule the stamps are judged against. */
  intervalMs: number;
  /** Opening is paced evenly over this long, so the streams' phases spread over the interval. */
  rampSec: number;
  /** Once all are open, wait this long before counting. */
  settleSec: number;
  durationSec: number;
}

/** Percentiles of one figure over every message counted (ms). */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
  min: number;
}

/** What the client prints at the end. */
export interface StreamLoadResult {
  event: 'result';
  /** Streams that were open when counting ended. */
  open: number;
  messages: number;
  seconds: number;
  /** sent − (first sent + (seq − first seq) × interval), the first message of every stream excluded (0 by definition). */
  lateness: Spread;
  /** arrival (client clock) − sent (server clock), same host. */
  delivery: Spread;
  /** Sequence numbers skipped or repeated (a lost or reordered message). */
  gaps: number;
  /** Streams that failed to open or ended early. */
  errors: number;
  firstError: string;
  /** Client CPU over the counting window, as a share of one core. */
  clientCpu: number;
  /** The message sent earliest against its stream's schedule (lateness < 0 means before it was due, judged from the first stamp). */
  earliest: { lateness: number; seq: number; sent: number; firstSeq: number; firstSent: number } | null;
}

function parseOptions(text: string | undefined): StreamLoadOptions {
  if (text === undefined) throw new Error('expected the options as one JSON argument');
  const o = JSON.parse(text) as Partial<StreamLoadOptions>;
  if (o.kind !== 'ws' && o.kind !== 'sse') throw new Error('option kind must be "ws" or "sse"');
  for (const key of ['port', 'connections', 'intervalMs', 'rampSec', 'settleSec', 'durationSec'] as const) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) throw new Error(`option ${key} must be a number`);
  }
  if (typeof o.path !== 'string') throw new Error('option path must be a string');
  return o as StreamLoadOptions;
}

/** A growable list of doubles (a plain array would box them). */
class Samples {
  private values: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(capacity, 1024));
  }
  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = v;
  }
  spread(): Spread {
    if (this.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, min: Number.NaN };
    const sorted = this.values.slice(0, this.length).sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], min: sorted[0] };
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv[2]);
  const expected = o.connections * (o.durationSec * (1_000 / o.intervalMs) + 2);
  const lateness = new Samples(expected);
  const delivery = new Samples(expected);
  let recording = false;
  let stopping = false;
  let messages = 0;
  let gaps = 0;
  let errors = 0;
  let firstError = '';
  let started = 0;
  let open = 0;
  let onAllOpen: (() => void) | null = null;
  let earliest: StreamLoadResult['earliest'] = null;

  const fail = (why: string): void => {
    if (stopping) return;
    errors++;
    if (firstError === '') firstError = why;
  };

  // One stream's view of its stamps; `wasOpen` counts a stream once, when its first message comes.
  const stream = (): { message: (text: string) => void; ended: () => void } => {
    let firstSent = Number.NaN;
    let firstSeq = 0;
    let lastSeq = 0;
    let live = true;
    return {
      message(text) {
        const arrived = performance.timeOrigin + performance.now();
        const stamp = readStamp(text);
        if (stamp === null) {
          fail(`not a stamp: ${text.slice(0, 80)}`);
          return;
        }
        if (Number.isNaN(firstSent)) {
          firstSent = stamp.sent;
          firstSeq = lastSeq = stamp.seq;
          open++;
          if (open === o.connections) onAllOpen?.();
          return;
        }
        if (stamp.seq !== lastSeq + 1) gaps++;
        lastSeq = stamp.seq;
        if (!recording) return;
        messages++;
        const late = stamp.sent - (firstSent + (stamp.seq - firstSeq) * o.intervalMs);
        lateness.push(late);
        if (earliest === null || late < earliest.lateness) earliest = { lateness: late, seq: stamp.seq, sent: stamp.sent, firstSeq, firstSent };
        delivery.push(arrived - stamp.sent);
      },
      ended() {
        if (!live) return;
        live = false;
        if (!Number.isNaN(firstSent)) open--;
        fail('a stream ended before the client left');
      },
    };
  };

  const openWs = (): void => {
    const s = stream();
    const socket = connect({ host: '127.0.0.1', port: o.port, noDelay: true });
    let pending: Buffer | null = null;
    let upgraded = false;
    const reader = new FrameReader(true, (opcode, _length, payload) => {
      if (opcode === Opcode.text || opcode === Opcode.binary) s.message((payload as Buffer).toString('latin1'));
      else if (opcode === Opcode.close) fail(`the server closed a WebSocket: ${(payload as Buffer).subarray(2).toString('utf8')}`);
    });
    socket.once('connect', () => socket.write(upgradeRequest(o.port, o.path)));
    socket.on('data', (chunk: Buffer) => {
      let from = 0;
      if (!upgraded) {
        const buffered: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
        let end: number;
        try {
          end = upgradeHeadEnd(buffered);
        } catch (err) {
          fail(err instanceof Error ? err.message : String(err));
          socket.destroy();
          return;
        }
        if (end < 0) {
          pending = buffered;
          return;
        }
        upgraded = true;
        pending = null;
        chunk = buffered;
        from = end;
      }
      reader.feed(chunk, from);
    });
    socket.on('error', (err) => fail(err.message));
    socket.on('close', () => s.ended());
  };

  const openSse = (): void => {
    const s = stream();
    const parser = createParser({ onEvent: (event) => s.message(event.data) });
    const req = request({ host: '127.0.0.1', port: o.port, path: o.path, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        fail(`GET ${o.path} answered ${String(res.statusCode)}`);
        res.destroy();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('close', () => s.ended());
    });
    req.on('error', (err) => fail(err.message));
    req.end();
  };

  const allOpen = new Promise<void>((resolve) => {
    onAllOpen = resolve;
  });
  // Paced opening: a batch every 10 ms, so the streams' first messages (and so their schedules) spread over the ramp.
  const ticks = Math.max(1, Math.round(o.rampSec * 100));
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let tick = 0;
    const timer = setInterval(() => {
      tick++;
      const upTo = Math.min(o.connections, Math.round((tick / ticks) * o.connections));
      while (started < upTo) {
        started++;
        if (o.kind === 'ws') openWs();
        else openSse();
      }
      if (started >= o.connections) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  // Every stream must have its first message within this: a server that cannot take them all is a finding, not a hang.
  const openTimeoutMs = 30_000;
  const timedOut = await Promise.race([
    allOpen.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), openTimeoutMs).unref()),
  ]);
  if (timedOut) throw new Error(`only ${open} of ${o.connections} streams had their first message after ${openTimeoutMs / 1_000} s (errors ${errors}: ${firstError})`);
  process.stdout.write(`${JSON.stringify({ event: 'open', seconds: (performance.now() - t0) / 1_000, errors })}\n`);

  await new Promise((r) => setTimeout(r, o.settleSec * 1_000));
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  recording = true;
  await new Promise((r) => setTimeout(r, o.durationSec * 1_000));
  recording = false;
  const seconds = (performance.now() - w0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  const result: StreamLoadResult = {
    event: 'result',
    open,
    messages,
    seconds,
    lateness: lateness.spread(),
    delivery: delivery.spread(),
    gaps,
    errors,
    firstError,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    earliest,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  // Leaving closes every stream at once (the parent watches the server's gauge fall).
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`stream-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

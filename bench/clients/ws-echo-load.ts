// Closed-loop WebSocket echo load: N connections, each keeping K messages in flight; every echo received
// sends the next message. Frames are made and masked once (bench/lib/ws-wire.ts), so per message the client
// only counts bytes and reads the clock once per read. Prints one JSON line (EchoLoadResult) and exits.
// Usage: node dist/bench/clients/ws-echo-load.js '{"port":P,"path":"/ws/echo","connections":64,"inflight":16,"size":64,"warmupSec":1,"durationSec":5}'
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameReader, maskedFrame, Opcode, upgradeHeadEnd, upgradeRequest } from '../lib/ws-wire.js';

/** What the parent asks for. */
export interface EchoLoadOptions {
  port: number;
  path: string;
  connections: number;
  /** Messages in flight per connection. */
  inflight: number;
  /** Payload bytes per message. */
  size: number;
  /** Load before counting starts. */
  warmupSec: number;
  durationSec: number;
}

/** What the client prints: echoes counted in the window and their round trips (ms). */
export interface EchoLoadResult {
  messages: number;
  seconds: number;
  messagesPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connections that failed or closed during the run. */
  errors: number;
  /** Client CPU time (user + system) over the window, as a share of one core: near 1 means the client may be the bottleneck. */
  clientCpu: number;
}

// Round trips in µs, one bucket per µs up to 1 s; slower ones count at the top (the max is kept exactly).
const Buckets = 1_000_000;

class Histogram {
  readonly counts = new Uint32Array(Buckets);
  total = 0;
  maxUs = 0;

  record(us: number): void {
    const v = us < 0 ? 0 : Math.round(us);
    this.counts[v < Buckets ? v : Buckets - 1]++;
    this.total++;
    if (v > this.maxUs) this.maxUs = v;
  }

  percentileMs(percent: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.ceil((percent / 100) * this.total);
    let seen = 0;
    for (let v = 0; v < Buckets; v++) {
      seen += this.counts[v];
      if (seen >= rank) return v / 1_000;
    }
    return this.maxUs / 1_000;
  }
}

function parseOptions(text: string | undefined): EchoLoadOptions {
  if (text === undefined) throw new Error('expected the options as one JSON argument');
  const o = JSON.parse(text) as Partial<EchoLoadOptions>;
  for (const key of ['port', 'connections', 'inflight', 'size', 'warmupSec', 'durationSec'] as const) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) throw new Error(`option ${key} must be a number`);
  }
  if (typeof o.path !== 'string') throw new Error('option path must be a string');
  return o as EchoLoadOptions;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv[2]);
  const frame = maskedFrame(Buffer.alloc(o.size, 0x61));
  // Up to K frames back to back: n echoes in one read are answered with one write of n frames.
  const batch = Buffer.concat(Array.from({ length: o.inflight }, () => frame));
  const histogram = new Histogram();
  let recording = false;
  let counted = 0;
  let errors = 0;
  let stopping = false;
  const sockets: Socket[] = [];

  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: o.port, noDelay: true });
      sockets.push(socket);
      // Send times of the messages in flight, oldest first (the server echoes in order).
      const sentAt = new Float64Array(o.inflight);
      let oldest = 0;
      let upgraded = false;
      let pending: Buffer | null = null;
      let echoed = 0;
      const reader = new FrameReader(false, (opcode, length) => {
        if (opcode === Opcode.binary && length === o.size) {
          echoed++;
          return;
        }
        if (opcode === Opcode.close) throw new Error('the server closed the WebSocket');
        if (opcode !== Opcode.ping) throw new Error(`unexpected frame: opcode ${opcode}, ${length} bytes (expected ${o.size})`);
      });
      socket.on('data', (chunk: Buffer) => {
        let from = 0;
        if (!upgraded) {
          const buffered: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
          const end = upgradeHeadEnd(buffered);
          if (end < 0) {
            pending = buffered;
            return;
          }
          upgraded = true;
          pending = null;
          chunk = buffered;
          from = end;
          const now = performance.now();
          for (let k = 0; k < o.inflight; k++) sentAt[k] = now;
          socket.write(batch);
          resolve();
        }
        echoed = 0;
        reader.feed(chunk, from);
        if (echoed === 0 || stopping) return;
        const now = performance.now();
        for (let k = 0; k < echoed; k++) {
          if (recording) histogram.record((now - sentAt[oldest]) * 1_000);
          sentAt[oldest] = now;
          oldest = oldest + 1 === o.inflight ? 0 : oldest + 1;
        }
        if (recording) counted += echoed;
        socket.write(echoed === o.inflight ? batch : batch.subarray(0, echoed * frame.length));
      });
      socket.once('connect', () => socket.write(upgradeRequest(o.port, o.path)));
      socket.on('error', (err) => {
        if (stopping) return;
        errors++;
        reject(err);
      });
      socket.on('close', () => {
        if (!stopping) errors++;
      });
    });

  await Promise.all(Array.from({ length: o.connections }, open));
  await new Promise((r) => setTimeout(r, o.warmupSec * 1_000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  recording = true;
  await new Promise((r) => setTimeout(r, o.durationSec * 1_000));
  recording = false;
  const seconds = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  for (const socket of sockets) socket.destroy();
  const result: EchoLoadResult = {
    messages: counted,
    seconds,
    messagesPerSec: counted / seconds,
    p50Ms: histogram.percentileMs(50),
    p90Ms: histogram.percentileMs(90),
    p99Ms: histogram.percentileMs(99),
    maxMs: histogram.maxUs / 1_000,
    errors,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ws-echo-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

// A short soak: ~200k /json/valid requests pipelined on keep-alive sockets, checking that the server's
// resident memory does not keep growing once warm.
//
// Why +30 MB (native; portable below): after the warm-up RSS still moves for reasons that are not leaks — V8 grows each worker's
// young generation and old space lazily (tens of MB per isolate are allowed), glibc keeps per-thread
// malloc arenas and returns freed pages lazily, and uWS's per-socket buffers come and go. Measured growth
// on a healthy build is a few MB. A leak of one response's worth (~200 bytes: the 66-byte body, its head
// and a closure) per request over the 180k measured requests is ~36 MB and fails; smaller per-request
// leaks need a longer soak than this test's time budget (bench/ is the place for that).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertServes, rssBytes } from './util.js';
import { serverEngine } from '../helpers/engines.js';

const Sockets = 8;
const Batch = 250;
// The portable engine makes node:http's request and response objects per request (a few KB of garbage
// each): V8 grows its heap in 16 MB steps for longer (measured on Node 24: 189 / 205 / 221 / 221 MB after a
// 20k warm-up), so it warms up on more requests before RSS is taken.
const WarmUp = serverEngine() === 'native' ? 20_000 : 100_000;
/** Measured requests; SOAK_REQUESTS overrides it for a longer manual soak. */
const Measured = Number(process.env.SOAK_REQUESTS ?? 180_000);
// Two workers, each a V8 isolate that may still take one more 16 MB old-space step after warm-up on the
// portable engine (CI on Node 24 measured +31.9 MB once: two steps); its budget is three steps, which still
// fails a leak of ~280 bytes per request over the measured requests. uWS makes no per-request objects.
const AllowedGrowth = (serverEngine() === 'native' ? 30 : 48) * 1024 * 1024;
const Request = Buffer.from('GET /json/valid HTTP/1.1\r\nHost: t\r\n\r\n');
const BatchBytes = Buffer.concat(Array.from({ length: Batch }, () => Request));

/** A keep-alive socket that sends pipelined batches and counts complete /json/valid bodies ("}). */
class Pipe {
  private sock: Socket;
  private counted = 0;
  private last = '';
  private want = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly ready: Promise<void>;

  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => { this.sock.once('connect', () => resolve()); this.sock.once('error', reject); });
    this.sock.on('data', (d: Buffer) => {
      const s = this.last + d.toString('latin1');
      let i = -1;
      while ((i = s.indexOf('"}', i + 1)) >= 0) this.counted++;
      this.last = s.slice(-1);
      if (this.counted >= this.want && this.wake !== null) { const w = this.wake; this.wake = null; w(); }
    });
    const fail = (e: Error): void => { this.failure = e; if (this.wake !== null) { const w = this.wake; this.wake = null; w(); } };
    this.sock.on('error', fail);
    this.sock.on('close', () => fail(new Error(`soak socket closed after ${this.counted} responses`)));
  }

  /** Send n requests (in pipelined batches) and wait for all n responses. */
  async run(n: number): Promise<void> {
    await this.ready;
    for (let sent = 0; sent < n; sent += Batch) {
      this.want += Batch;
      this.sock.write(BatchBytes);
      if (this.counted < this.want) await new Promise<void>((r) => { this.wake = r; });
      if (this.failure !== null) throw this.failure;
    }
  }

  close(): void {
    this.sock.removeAllListeners('close');
    this.sock.destroy();
  }
}

describe('soak', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test(`${(WarmUp + Measured) / 1000}k pipelined /json/valid: RSS grows by less than ${AllowedGrowth / 1024 / 1024} MB after warm-up`, async (t) => {
    const pid = server.proc.pid as number;
    const pipes = Array.from({ length: Sockets }, () => new Pipe(server.port));
    try {
      await Promise.all(pipes.map((p) => p.run(WarmUp / Sockets)));
      const warm = rssBytes(pid);
      const t0 = performance.now();
      const samples: number[] = [];
      const quarter = Math.ceil(Measured / Sockets / 4 / Batch) * Batch;
      for (let q = 0; q < 4; q++) {
        await Promise.all(pipes.map((p) => p.run(quarter)));
        samples.push(rssBytes(pid));
      }
      const secs = (performance.now() - t0) / 1000;
      const end = samples[samples.length - 1];
      const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
      t.diagnostic(`${Measured} requests in ${secs.toFixed(1)} s (${Math.round(Measured / secs)} req/s); RSS warm ${mb(warm)} MB, ` +
        `quarters ${samples.map(mb).join(' / ')} MB`);
      assert.ok(end - warm < AllowedGrowth, `RSS grew ${mb(end - warm)} MB (from ${mb(warm)} to ${mb(end)})`);
    } finally {
      for (const p of pipes) p.close();
    }
    await assertServes(server);
  });
});

// Shared helpers for the hardening tests: polling /__mock/stats with a deadline, raw sockets in bulk,
// a "fresh connection still works" probe and the server process's resident memory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { rawRequest, type TestServer } from '../helpers/server.js';

export interface StatsTotals {
  rps: number;
  inFlight: number;
  pending: number;
  requests: number;
  bytes: number;
  saturatedWorkers: number;
}

/** GET /__mock/stats on a fresh connection (raw, so it works even with 1,000 client sockets open). */
export async function statsTotals(port: number): Promise<StatsTotals> {
  const { data } = await rawRequest(port, 'GET /__mock/stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
  const body = data.slice(data.indexOf('\r\n\r\n') + 4);
  return (JSON.parse(body) as { totals: StatsTotals }).totals;
}

/**
 * Poll `check` until it returns true or the deadline passes. The pause between polls only paces the
 * polling; correctness never depends on it (stats gauges are sampled once a second by the server).
 */
export async function pollUntil(what: string, check: () => Promise<boolean> | boolean, deadlineMs: number, everyMs = 100): Promise<void> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Poll /__mock/stats until pred(totals) holds; returns the matching totals. */
export async function waitForStats(port: number, what: string, pred: (t: StatsTotals) => boolean, deadlineMs: number): Promise<StatsTotals> {
  let last: StatsTotals | null = null;
  try {
    await pollUntil(what, async () => { last = await statsTotals(port); return pred(last); }, deadlineMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last totals ${JSON.stringify(last)}`, { cause: err });
  }
  return last as unknown as StatsTotals;
}

/** The server process is alive and a normal request on a fresh connection answers 200. */
export async function assertServes(server: TestServer): Promise<void> {
  assert.equal(server.proc.exitCode, null, 'server process exited');
  assert.equal(server.proc.signalCode, null, 'server process was killed');
  const { data } = await rawRequest(server.port, 'GET /json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    (d) => d.endsWith('{"message":"Hello, World!"}'));
  assert.match(data, /^HTTP\/1\.1 200 /, `fresh request failed: ${JSON.stringify(data.slice(0, 200))}`);
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS not found');
  return Number(m[1]) * 1024;
}

/** A raw client socket that accumulates what it receives. */
export interface RawClient {
  readonly sock: Socket;
  data: string;
  closed: boolean;
  /** Resolves when the server closes (or the socket errors). */
  readonly ended: Promise<void>;
}

/** Open n raw sockets, write payload on each, resolve once all are connected and written. */
export async function openClients(port: number, n: number, payload: string, opts: { pauseReading?: boolean } = {}): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const sock = connect(port, '127.0.0.1');
    let resolveEnded: () => void = () => {};
    const c: RawClient = { sock, data: '', closed: false, ended: new Promise<void>((r) => { resolveEnded = r; }) };
    connected.push(new Promise<void>((resolve, reject) => {
      sock.once('connect', () => sock.write(payload, () => resolve()));
      sock.once('error', reject);
    }));
    sock.on('error', () => { /* reported through connected / ended */ });
    if (opts.pauseReading) sock.pause();
    else sock.on('data', (d) => { c.data += d.toString('latin1'); });
    sock.on('close', () => { c.closed = true; resolveEnded(); });
    clients.push(c);
  }
  await Promise.all(connected);
  return clients;
}

/** Resolves true if a new TCP connection to the port is refused. */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

/** /__mock/test/gc (needs the fault-hook env phrase): a full GC in every worker, then each live heap and the RSS. */
export interface GcReport {
  workers: { id: number; heapUsedBytes: number }[];
  rssBytes: number;
  missingWorkers: number[];
}

/** Run /__mock/test/gc on a fresh connection and check every worker answered. */
export async function gcReport(port: number): Promise<GcReport> {
  const { data } = await rawRequest(port, 'GET /__mock/test/gc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
  assert.match(data, /^HTTP\/1\.1 200 /, `/__mock/test/gc: ${JSON.stringify(data.slice(0, 300))}`);
  const report = JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4)) as GcReport;
  assert.deepEqual(report.missingWorkers, [], 'every worker ran the collection');
  return report;
}

/**
 * n clients on their own connections each send `request`, receive at least `readBytes` of the answer
 * (0: only wait for its first bytes), then vanish: odd ones with a FIN, even ones with a RST. With
 * `stall` a client stops reading first, so the server is pushing against a full window when it goes.
 * Resolves once every client is gone; rejects if the server closes a connection or fails first.
 */
export async function vanishingClients(port: number, n: number, request: string, readBytes: number, opts: { stall?: boolean } = {}): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let received = 0;
    let gone = false;
    const vanish = (): void => {
      if (gone) return;
      gone = true;
      if (i % 2 === 0) sock.resetAndDestroy(); else sock.destroy();
      resolve();
    };
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d: Buffer) => {
      received += d.length;
      if (gone || received < Math.max(readBytes, 1)) return;
      if (opts.stall) {
        // Stop reading; vanish once the server has had a turn to fill the window.
        sock.pause();
        setImmediate(vanish);
      } else {
        vanish();
      }
    });
    sock.on('error', (e) => { if (!gone) reject(e); });
    sock.on('close', () => { if (!gone) reject(new Error(`server closed the connection after ${received} bytes of ${JSON.stringify(request.split('\r\n')[0])}`)); });
  })));
}

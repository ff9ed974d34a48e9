// Starts the real CLI as a child process on port 0 and waits for its listening line: tests talk to it
// over real sockets, exactly as users do.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Path of the built CLI (tests run from dist/test/...). */
export const CliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface TestServer {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every stdout line so far (pino JSON). */
  readonly lines: string[];
  /** Resolves with the first log line matching the predicate (already seen or future). */
  waitForLine(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Start `mock-upstream --port 0 --host 127.0.0.1 ...args`. */
export async function startServer(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const proc = spawn(process.execPath, [CliPath, '--port', '0', '--host', '127.0.0.1', '--workers', '1', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
  });
  const lines: string[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let partial = '';
  proc.stdout.on('data', (d: Buffer) => {
    partial += d.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      let parsed: Record<string, unknown>;
      try { parsed = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].pred(parsed)) { waiters[i].resolve(parsed); waiters.splice(i, 1); }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  function waitForLine(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (pred(parsed)) return Promise.resolve(parsed);
      } catch { /* not JSON */ }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), timeoutMs);
      waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before the line; stderr: ${stderr}`)); });
    });
  }

  const listening = await waitForLine((l) => l.event === 'listening');
  const port = listening.port as number;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    lines,
    waitForLine,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Run the CLI to completion (for usage and startup errors); resolves with code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CliPath, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`cli did not exit: ${stdout} ${stderr}`)); }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/**
 * Send raw bytes on a fresh socket; resolves with everything received once `done(data)` holds or the
 * server closes the connection (no idle timers: a slow machine only makes the test slower).
 */
export function rawRequest(port: number, payload: string | Buffer, done: (data: string) => boolean = () => false, timeoutMs = 10_000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`raw request timed out; got: ${JSON.stringify(data)}`)); }, timeoutMs);
    const finish = (closed: boolean): void => { clearTimeout(timer); sock.destroy(); resolve({ data, closed }); };
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d) => { data += d.toString('latin1'); if (done(data)) finish(false); });
    sock.on('close', () => finish(true));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Count complete HTTP responses in a raw stream by their status lines. */
export function statusLines(raw: string): string[] {
  return raw.match(/HTTP\/1\.1 \d{3}[^\r]*/g) ?? [];
}

/** Poll /__mock/stats (gauges sampled each second) until totals.pending reaches `n`; rejects after timeoutMs. */
export async function waitForPending(url: string, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await (await fetch(`${url}/__mock/stats`, { headers: { connection: 'close' } })).json() as { totals: { pending: number } };
    if (stats.totals.pending >= n) return;
    if (performance.now() > deadline) throw new Error(`pending stayed at ${stats.totals.pending}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

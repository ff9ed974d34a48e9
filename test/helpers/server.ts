// Starts the real CLI as a child process on port 0 and waits for its listening line: tests talk to it
// over real sockets, exactly as users do.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { lineSplitter, parseLogLine, type LogLine } from './log-lines.js';

/** Path of the built CLI (tests run from dist/test/...). */
export const CliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface TestServer {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every stdout line so far (pino JSON). */
  readonly lines: string[];
  /** Resolves with the first log line matching the predicate (already seen or future). */
  waitForLine(pred: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
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
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  proc.stdout.on('data', lineSplitter((line) => {
    lines.push(line);
    const parsed = parseLogLine(line);
    if (parsed === null) return;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].pred(parsed)) { waiters[i].resolve(parsed); waiters.splice(i, 1); }
    }
  }));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  function waitForLine(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    for (const line of lines) {
      const parsed = parseLogLine(line);
      if (parsed !== null && pred(parsed)) return Promise.resolve(parsed);
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

/** How withServer starts the server and what it expects when it stops it. */
export interface WithServerOptions {
  /** CLI arguments after `--port 0 --host 127.0.0.1 --workers 1` (a later flag wins). */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** The exit code the final SIGTERM must give (default 0); null: not checked (the body stopped the server its own way). */
  readonly exitCode?: number | null;
}

/**
 * Start a server, run `body` with it and always stop it. A failing body's error is the one reported (the
 * stop is awaited, not asserted, so it cannot hide it); after a passing body the exit code is asserted.
 */
export async function withServer<T>(opts: WithServerOptions, body: (server: TestServer) => Promise<T>): Promise<T> {
  const server = await startServer([...(opts.args ?? [])], opts.env);
  let result: T;
  try {
    result = await body(server);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const code = await server.stop();
  const expected = opts.exitCode === undefined ? 0 : opts.exitCode;
  if (expected !== null) assert.equal(code, expected, `exit code after the test; last log lines:\n${server.lines.slice(-5).join('\n')}`);
  return result;
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

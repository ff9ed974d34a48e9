// Servers under test: started pinned, with their output in a log file (a pipe
// would need draining by the bench and could stall a chatty server), polled
// until ready, and stopped with SIGTERM.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pinned } from './cpu.js';
import { shellJoin, shellQuote, spawnTracked, stopTracked, withNofile, type ExitInfo, type Tracked } from './proc.js';
import { repoRoot, workDir } from './paths.js';

/** How to start a server. */
export interface ServerSpec {
  /** Short id used in logs, tables and the log file name. */
  name: string;
  /** Executable, as spawned. */
  command: string;
  /** Arguments for a given port. */
  args: (port: number) => string[];
  /** How to show the executable in printed command lines (e.g. `node` for process.execPath). */
  displayCommand?: string;
  /** Path polled until it answers 200. */
  readyPath: string;
  /** Polls readyPath another way (a server without HTTP/1.1, e.g. gRPC over h2c): resolves with the status it got. */
  readyProbe?: (port: number, path: string, timeoutMs: number) => Promise<number>;
  /** Start it with a raised open-files limit (see withNofile), for thousands of connections. */
  raiseNofile?: boolean;
  /** Runs before the spawn, e.g. to write a config file naming the port. */
  beforeStart?: (port: number) => void;
  /** Variables set on top of the bench's own environment (shown as `NAME=value` before the printed command line). */
  env?: Readonly<Record<string, string>>;
}

/** A started server. */
export interface RunningServer {
  name: string;
  port: number;
  /** The command line as run, from the package root. */
  commandLine: string;
  logFile: string;
  url(path: string): string;
  /** How the process ended, or undefined while it runs. */
  exitInfo(): ExitInfo | undefined;
  /** Last bytes of its log, for error messages. */
  logTail(): string;
  /** SIGTERM, wait for exit (SIGKILL after graceMs); resolves with how it ended. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/** A plain HTTP response. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const Host = '127.0.0.1';
const ReadyTimeoutMs = 20_000;
const ReadyPollMs = 50;
// Above mock-upstream's default 5 s drain grace, so a healthy shutdown is never cut short.
const DefaultStopGraceMs = 8_000;

/** A port free on 127.0.0.1 right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, Host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not obtain a free port'))));
    });
  });
}

/** One GET on a fresh connection; rejects on network errors or after timeoutMs. */
export function httpGet(port: number, path: string, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: Host, port, path, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

function tail(file: string, bytes: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > bytes ? `…${text.slice(-bytes)}` : text;
  } catch {
    return '';
  }
}

/** `code N` or `signal SIG`. */
export function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitReady(
  tracked: Tracked,
  spec: ServerSpec,
  port: number,
  logFile: string,
  cancelled: () => boolean,
): Promise<void> {
  const deadline = Date.now() + ReadyTimeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline && !cancelled()) {
    if (tracked.exitInfo !== undefined) {
      const log = tail(logFile, 2_000);
      throw new Error(
        `${spec.name} exited (${describeExit(tracked.exitInfo)}) before answering ${spec.readyPath}; log ${logFile}:\n${log}`,
      );
    }
    try {
      // Longer than any answer a reference server delays on purpose (bare-uws-timeout answers after 1 s).
      const status = spec.readyProbe !== undefined
        ? await spec.readyProbe(port, spec.readyPath, ProbeTimeoutMs)
        : (await httpGet(port, spec.readyPath, ProbeTimeoutMs)).status;
      if (status === 200) return;
      lastProblem = `status ${status}`;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    await delay(ReadyPollMs);
  }
  if (cancelled()) return;
  throw new Error(`${spec.name} not ready on port ${port} after ${ReadyTimeoutMs} ms (${lastProblem}); log ${logFile}:\n${tail(logFile, 2_000)}`);
}

/** Per readiness probe (ms). */
const ProbeTimeoutMs = 3_000;

/** Starts a server on a free port (pinned to cpu when given) and resolves once readyPath answers 200. */
export async function startServer(spec: ServerSpec, cpu: string | undefined): Promise<RunningServer> {
  const port = await freePort();
  const wrap = (executable: string): [string, string[]] =>
    spec.raiseNofile === true ? withNofile(executable, spec.args(port)) : [executable, spec.args(port)];
  const [command, args] = pinned(cpu, ...wrap(spec.command));
  const shown = pinned(cpu, ...wrap(spec.displayCommand ?? spec.command));
  const envPrefix = Object.entries(spec.env ?? {}).map(([name, value]) => `${name}=${shellQuote(value)} `).join('');
  const commandLine = envPrefix + shellJoin(shown[0], shown[1]);
  spec.beforeStart?.(port);
  const logFile = join(workDir(), `${spec.name}.log`);
  const fd = openSync(logFile, 'w');
  let tracked: Tracked;
  try {
    const env = spec.env === undefined ? undefined : { ...process.env, ...spec.env };
    tracked = spawnTracked(command, args, { cwd: repoRoot(), stdio: ['ignore', fd, fd], ...(env === undefined ? {} : { env }) });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  // A failed spawn never emits 'exit'; the flag stops the poll loop either way.
  let settled = false;
  try {
    await Promise.race([tracked.exited, waitReady(tracked, spec, port, logFile, () => settled)]);
    if (tracked.exitInfo !== undefined) {
      throw new Error(`${spec.name} exited (${describeExit(tracked.exitInfo)}) during startup; log ${logFile}:\n${tail(logFile, 2_000)}`);
    }
  } catch (err) {
    await stopTracked(tracked, 1_000).catch(() => undefined);
    throw err;
  } finally {
    settled = true;
  }
  return {
    name: spec.name,
    port,
    commandLine,
    logFile,
    url: (path) => `http://${Host}:${port}${path}`,
    exitInfo: () => tracked.exitInfo,
    logTail: () => tail(logFile, 2_000),
    stop: (graceMs = DefaultStopGraceMs) => stopTracked(tracked, graceMs),
  };
}

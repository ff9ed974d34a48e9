// Child processes for the benches: every child is tracked so an error, a
// signal or a plain exit of the bench never leaves a server or wrk behind.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';

/** How a child ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child and a promise of its end (rejects only when it could not be started). */
export interface Tracked {
  child: ChildProcess;
  exited: Promise<ExitInfo>;
  /** Resolved once the exit has been seen, so callers can check without awaiting. */
  exitInfo: ExitInfo | undefined;
}

const live = new Set<Tracked>();

/** Spawns a child in its own process group and tracks it until it exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { cwd?: string; stdio: StdioOptions; env?: NodeJS.ProcessEnv },
): Tracked {
  // Own process group: stopping sweeps the whole group, so a grandchild (a
  // worker process, a shell) cannot outlive the bench.
  const child = spawn(command, args, { cwd: options.cwd, stdio: options.stdio, env: options.env, detached: true });
  const tracked: Tracked = { child, exited: Promise.resolve({ code: null, signal: null }), exitInfo: undefined };
  tracked.exited = new Promise<ExitInfo>((resolve, reject) => {
    child.once('error', (err) => {
      // 'error' without a pid means the spawn itself failed (ENOENT, EACCES).
      if (child.pid === undefined) {
        live.delete(tracked);
        reject(new Error(`cannot start ${command}: ${err.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      live.delete(tracked);
      tracked.exitInfo = { code, signal };
      resolve(tracked.exitInfo);
    });
  });
  // Callers await exited when they care; an unobserved spawn failure must not
  // crash the process as an unhandled rejection.
  tracked.exited.catch(() => undefined);
  live.add(tracked);
  return tracked;
}

function signalGroup(tracked: Tracked, signal: NodeJS.Signals): void {
  const pid = tracked.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM the child, SIGKILL its group after graceMs, then sweep any leftovers of the group. */
export async function stopTracked(tracked: Tracked, graceMs: number): Promise<ExitInfo> {
  if (tracked.child.pid === undefined) return tracked.exited;
  if (tracked.exitInfo === undefined) {
    // Only the leader gets SIGTERM: it owns the graceful shutdown of its workers.
    try {
      tracked.child.kill('SIGTERM');
    } catch {
      // Already gone; exited settles below.
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), graceMs);
    });
    const first = await Promise.race([tracked.exited, graceOver]);
    // A pending grace timer would keep the bench alive after its work is done.
    clearTimeout(timer);
    if (first === undefined) signalGroup(tracked, 'SIGKILL');
  }
  const info = await tracked.exited;
  signalGroup(tracked, 'SIGKILL');
  return info;
}

let cleanupInstalled = false;

/** Makes sure tracked children die with the bench: on exit (SIGKILL) and on SIGINT/SIGTERM/SIGHUP (graceful, then exit). */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const tracked of live) signalGroup(tracked, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal} received, stopping ${live.size} child process(es)\n`);
      const stops = [...live].map((tracked) => stopTracked(tracked, 2_000).catch(() => undefined));
      void Promise.all(stops).finally(() => process.exit(128 + osConstants.signals[signal]));
    });
  }
}

/** Absolute path of an executable found on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/** Result of a command run to completion with its output captured. */
export interface Captured extends ExitInfo {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing stdout/stderr; its group is SIGKILLed after timeoutMs. */
export async function runCaptured(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Captured> {
  const tracked = spawnTracked(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  tracked.child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  tracked.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  // 'close' (not 'exit') guarantees the pipes are drained.
  const closed = new Promise<void>((resolve) => tracked.child.once('close', () => resolve()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(tracked, 'SIGKILL');
  }, options.timeoutMs);
  try {
    const info = await tracked.exited;
    await closed;
    if (timedOut) throw new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms and was killed`);
    return { ...info, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}

// Characters that need no quoting in a POSIX shell word.
const ShellSafe = /^[\w@%+=:,./-]+$/;

/** One argument quoted for a POSIX shell (as is when it needs no quoting). */
export function shellQuote(arg: string): string {
  return arg !== '' && ShellSafe.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A command line people can paste into a shell. */
export function shellJoin(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuote).join(' ');
}

/** The soft open-files limit withNofile asks for; it falls back to the hard limit when it may not raise that. */
export const WantedNofile = 65_536;

// `ulimit -n N` fails without CAP_SYS_RESOURCE when N is above the hard limit
// (containers often cap it), so the fallback takes whatever the hard limit allows.
const RaiseNofile = `ulimit -n ${WantedNofile} 2>/dev/null || ulimit -n hard`;

/** Wraps a command in `bash -c 'ulimit -n …; exec …'`: thousands of sockets need more descriptors than the usual 1024. */
export function withNofile(command: string, args: readonly string[]): [string, string[]] {
  return ['bash', ['-c', `${RaiseNofile}; exec ${shellJoin(command, args)}`]];
}

/** The open-files limit a withNofile child gets on this machine. */
export async function effectiveNofile(): Promise<number> {
  const res = await runCaptured('bash', ['-c', `${RaiseNofile}; ulimit -n`], { timeoutMs: 10_000 });
  const text = res.stdout.trim();
  if (res.code !== 0) throw new Error(`cannot read the open-files limit (bash exited ${String(res.code)}): ${res.stderr.trim()}`);
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
}

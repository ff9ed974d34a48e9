// Main thread: probes the port, starts the worker threads, restarts the ones that die, owns shutdown.
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { ServerConfig } from '../config/options.js';
import type { Logger } from '../observe/log.js';
import { FaultHookEnv, FaultHookPhrase, FaultIgnoreDrainEnv } from '../config/defaults.js';
import { uwsBuild, Version } from '../version.js';
import { allocateCounters, Counters, F } from '../observe/counters.js';
import { serializeError } from '../serializers/index.js';
import { ControlPlane } from './control.js';
import type { AdminAsk, AdminReply, FromWorker, ToWorker, WorkerInit } from './messages.js';
import { loadUws, StartupError, type ListenSocket, type TemplatedApp } from '../http/uws.js';

/** First restart delay after a worker dies (ms); doubles per consecutive crash. */
const RestartBaseMs = 100;
/** Longest restart delay (ms). */
const RestartMaxMs = 10_000;
/** A worker that lived this long resets the back-off (ms). */
const StableMs = 30_000;
/**
 * Time past --grace after which workers still running are told to stop at once (ms): a worker cuts what is
 * left at --grace itself, so one still running is stuck. It closes its listener and connections and exits;
 * only then may the process exit cleanly (the main thread exiting while a worker's uWS app is open aborts).
 */
const StopStuckMs = 2_000;
/** Time past --grace after which the main thread exits even with workers left (ms); a blocked worker aborts the process. */
const ShutdownSlackMs = 3_000;

/** A running server, as the CLI and the public API see it. */
export interface RunningServer {
  readonly port: number;
  readonly workers: number;
  /** Begin graceful shutdown (first call) or stop at once (second call); resolves with the exit code. */
  shutdown(): Promise<number>;
  /** Resolves with the exit code once every worker has exited. */
  readonly closed: Promise<number>;
  /** Runtime routes and the journal, as the /__mock/routes and /__mock/requests endpoints do them. */
  admin(ask: AdminAsk): Promise<AdminReply>;
}

interface Slot {
  worker: Worker | null;
  /** A pending restart (cleared at shutdown). */
  restartTimer: NodeJS.Timeout | null;
  startedAt: number;
  crashes: number;
  /** Whether the last saturation line logged for this worker was a warning (a recovery is owed). */
  saturated: boolean;
}

/** Start the server described by config; rejects with StartupError for anything the user must fix. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const t0 = performance.now();
  const uws = loadUws();
  if (config.tls) {
    checkReadable(config.tls.certFile, '--tls-cert');
    checkReadable(config.tls.keyFile, '--tls-key');
  }
  checkFolder(config.payloadsDir, '--payloads');
  const port = await probePort(config.host, config.port, '--port', '--host');
  const adminHost = config.adminHost ?? config.host;
  const adminPort = config.admin && config.adminPort !== null ? await probePort(adminHost, config.adminPort, '--admin-port', '--admin-host (or --host)') : 0;
  if (adminPort !== 0 && adminPort === port) throw new StartupError(`--admin-port ${adminPort} is the data port: choose another`);
  const startedAt = performance.timeOrigin;
  const sab = allocateCounters(config.workers);
  const counters = new Counters(sab);
  const slots: Slot[] = Array.from({ length: config.workers }, () => ({ worker: null, restartTimer: null, startedAt: 0, crashes: 0, saturated: false }));
  let stopping = false;
  let forced = false;
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => { resolveClosed = r; });
  let exitCode = 0;
  // Indexes of the workers that exist now (starting, listening or draining).
  const liveWorkers = (): number[] => slots.flatMap((s, i) => (s.worker === null ? [] : [i]));
  const control = new ControlPlane(config.routes, { maxDelayMs: config.maxDelayMs, maxSizeBytes: config.maxSizeBytes, payloadsDir: config.payloadsDir, adminPrefix: config.adminPrefix },
    config.journal > 0, {
      live: liveWorkers,
      post: (i, msg) => slots[i].worker?.postMessage(msg),
    });

  function spawn(index: number): Promise<void> {
    const init: WorkerInit = {
      config, index, port, adminPort, startedAt, counters: sab, routes: control.current(), patterns: control.registeredPatterns(),
    };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const slot = slots[index];
    slot.worker = worker;
    slot.startedAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'listening') {
          listening = true;
          resolve();
        } else if (msg.type === 'failed') {
          reject(new StartupError(msg.message));
        } else if (msg.type === 'crashed') {
          log.error({ worker: index, err: { message: msg.message, stack: msg.stack } }, `worker ${index} crashed: ${msg.message}`);
          // A crash during the drain is a failed shutdown whatever code the thread ends with (README: exit 1).
          if (stopping) exitCode = 1;
        } else if (msg.type === 'handlerError') {
          log.error({ event: 'handler-error', worker: index, route: msg.route, err: { message: msg.message, stack: msg.stack } },
            `worker ${index}: the ${msg.route} handler threw (answered 500, still serving): ${msg.message}`);
        } else if (msg.type === 'saturation') {
          const pct = Math.round(msg.elu * 100);
          slot.saturated = msg.saturated;
          if (msg.saturated) {
            log.warn({ event: 'saturated', worker: index, elu: msg.elu },
              `upstream saturated: worker ${index} event loop ${pct}% busy for ${config.saturationSeconds}s; results measure the upstream, not the gateway — add workers`);
          } else {
            log.info({ event: 'recovered', worker: index, elu: msg.elu }, `worker ${index} no longer saturated (event loop ${pct}% busy)`);
          }
        } else if (msg.type === 'ask') {
          // Every ask gets an answer: a failed action is a 500 reply, not an unhandled rejection and a waiting worker.
          const answer = (reply: AdminReply): void => worker.postMessage({ type: 'answer', id: msg.id, reply } satisfies ToWorker);
          control.handle(msg.ask).then(answer, (err: unknown) => answer({ status: 500,
            body: serializeError({ error: `admin ${msg.ask.op} failed: ${(err as Error)?.message ?? String(err)}` }) }))
            .catch((err: unknown) => log.error({ worker: index, err }, `worker ${index}: could not answer an admin call: ${(err as Error)?.message}`));
        } else if (msg.type === 'applied' || msg.type === 'journal' || msg.type === 'heap') {
          control.onAnswer(index, msg);
        } else if (msg.type === 'drained' && msg.cut > 0) {
          log.warn({ worker: index, cut: msg.cut }, `worker ${index}: grace period over, ${msg.cut} responses cut`);
        }
      });
      // A message the main thread cannot decode (say, too deep to clone): log it; the worker's ask times out
      // with a 504 rather than waiting forever.
      worker.on('messageerror', (err) => {
        log.error({ worker: index, err }, `worker ${index}: a message could not be decoded: ${err.message}`);
      });
      worker.on('error', (err) => {
        // Errors thrown at module load, before the worker's own handler exists.
        if (!listening) reject(new StartupError(`worker ${index} failed to start: ${err.message}`));
        else log.error({ worker: index, err }, `worker ${index} error: ${err.message}`);
      });
      worker.on('exit', (code) => {
        slot.worker = null;
        control.onExit(index);
        // The thread is gone: its gauges no longer describe anything, and a saturation episode it was in ends
        // here, so its replacement starts clear and a new episode warns afresh.
        counters.cells[counters.row(index) + F.saturated] = 0;
        counters.cells[counters.row(index) + F.elu] = 0;
        if (slot.saturated) {
          slot.saturated = false;
          if (!stopping) log.info({ event: 'recovered', worker: index, elu: 0 }, `worker ${index} no longer saturated (it exited)`);
        }
        if (!listening) reject(new StartupError(`worker ${index} exited during startup (code ${code})`));
        if (stopping) {
          if (code !== 0) exitCode = 1;
          if (slots.every((s) => s.worker === null)) resolveClosed(exitCode);
          return;
        }
        if (listening) restart(index, code);
      });
    });
  }

  function restart(index: number, code: number | null): void {
    const slot = slots[index];
    if (performance.now() - slot.startedAt > StableMs) slot.crashes = 0;
    const delay = backoffMs(slot.crashes);
    slot.crashes++;
    counters.cells[counters.row(index) + F.restarts]++;
    if (code !== null) log.error({ worker: index, code, restartInMs: delay }, `worker ${index} exited with code ${code}; restarting in ${delay} ms`);
    // Not unref'd: with every worker gone this timer is what keeps the process alive to restart them.
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (stopping) return;
      spawn(index).then(
        () => log.info({ worker: index }, `worker ${index} restarted`),
        (err: Error) => {
          // Try again, backing off further, once the failed thread is gone.
          log.error({ worker: index, retryInMs: backoffMs(slot.crashes) }, `worker ${index} restart failed: ${err.message}; retrying`);
          const failed = slot.worker;
          if (failed === null) restart(index, null);
          else failed.once('exit', () => restart(index, null));
        },
      );
    }, delay);
  }

  function post(msg: ToWorker): void {
    for (const s of slots) s.worker?.postMessage(msg);
  }

  try {
    await Promise.all(slots.map((_, i) => spawn(i)));
  } catch (err) {
    stopping = true;
    post({ type: 'stop' });
    await Promise.all(slots.map((s) => (s.worker ? new Promise((r) => s.worker?.once('exit', r)) : null)));
    throw err;
  }

  const scheme = config.tls ? 'https' : 'http';
  log.info({
    event: 'listening', version: Version, host: config.host, port, adminPort: adminPort === 0 ? null : adminPort,
    adminHost: adminPort === 0 ? null : adminHost, admin: config.admin, workers: config.workers, routes: control.current().length,
    uws: uwsBuild(), tls: config.tls !== null, startupMs: Math.round(performance.now() - t0),
  }, `mock-upstream ${Version} listening on ${scheme}://${config.host}:${port} with ${config.workers} worker(s)`);
  if (config.admin && adminPort === 0 && !isLoopback(config.host)) {
    log.warn({ event: 'admin-exposed', host: config.host, adminPrefix: config.adminPrefix },
      `admin API ${config.adminPrefix} is reachable on the data port on ${config.host}: any client can replace routes; use --admin-port with --admin-host 127.0.0.1, or --no-admin`);
  }
  if (process.env[FaultHookEnv] === FaultHookPhrase) {
    const ignoring = process.env[FaultIgnoreDrainEnv];
    log.warn({ event: 'fault-hook' }, `${FaultHookEnv} is set: ${'/__mock/test/crash'} crashes workers (tests only)${
      ignoring ? `; ${FaultIgnoreDrainEnv}: worker(s) ${ignoring} ignore the drain on shutdown` : ''}`);
  }
  void uws;

  return {
    port,
    workers: config.workers,
    closed,
    admin: (ask) => control.handle(ask),
    shutdown(): Promise<number> {
      if (!stopping) {
        stopping = true;
        for (const s of slots) if (s.restartTimer !== null) clearTimeout(s.restartTimer);
        log.info({ event: 'shutdown', graceMs: config.graceMs }, `shutting down: finishing in-flight responses (grace ${config.graceMs} ms)`);
        post({ type: 'drain', graceMs: config.graceMs });
        setTimeout(() => {
          const stuck = liveWorkers();
          if (stuck.length === 0) return;
          // Exit 1 once they are gone (the exit handler resolves `closed` with exitCode).
          exitCode = 1;
          log.error({ workers: stuck }, `worker(s) ${stuck.join(', ')} still running ${StopStuckMs} ms after the grace period; stopping them`);
          for (const i of stuck) slots[i].worker?.postMessage({ type: 'stop' } satisfies ToWorker);
        }, config.graceMs + StopStuckMs).unref();
        setTimeout(() => {
          const stuck = liveWorkers();
          if (stuck.length === 0) return;
          log.error({ workers: stuck }, `workers did not stop in time (worker(s) ${stuck.join(', ')} unresponsive); exiting`);
          resolveClosed(1);
        }, config.graceMs + ShutdownSlackMs).unref();
      } else if (!forced) {
        forced = true;
        log.warn({ event: 'shutdown' }, 'second signal: stopping now');
        post({ type: 'stop' });
      }
      if (slots.every((s) => s.worker === null)) resolveClosed(exitCode);
      return closed;
    },
  };
}

/** Whether host only accepts local clients (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Restart delay after `crashes` consecutive crashes: doubling from RestartBaseMs, at most RestartMaxMs. */
function backoffMs(crashes: number): number {
  return Math.min(RestartMaxMs, RestartBaseMs * 2 ** crashes);
}

// A mistyped --payloads would otherwise start an empty payload listing and 404 every /payloads/ route.
function checkFolder(dir: string, flag: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new StartupError(`cannot read ${flag} ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isDir) throw new StartupError(`${flag} ${dir} is not a folder`);
}

function checkReadable(file: string, flag: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new StartupError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Listen exclusively once, then release: SO_REUSEPORT would otherwise let us silently share the port
 * with a stale server. Also resolves port 0 to one concrete port for every worker.
 */
function probePort(host: string, wanted: number, flag: string, hostFlag: string): Promise<number> {
  const uws = loadUws();
  const app = uws.App() as TemplatedApp;
  return new Promise<number>((resolve, reject) => {
    app.listen(host, wanted, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (token: ListenSocket | false) => {
      if (!token) {
        app.close();
        // uWS gives no errno: ask the OS whether the address itself is the problem.
        void addressAvailable(host).then((available) => reject(new StartupError(available
          ? `port ${wanted} on ${host} is already in use: stop the other server or choose another ${flag}`
          : `address ${host} is not available on this machine: choose another ${hostFlag}`)));
        return;
      }
      const port = uws.us_socket_local_port(token);
      uws.us_listen_socket_close(token);
      app.close();
      resolve(port);
    });
  });
}

// Whether the OS lets anything listen on host (port 0): false means the address is the problem, not the port.
function addressAvailable(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRNOTAVAIL' && err.code !== 'ENOTFOUND' && err.code !== 'EAI_AGAIN'));
    probe.listen(0, host, () => probe.close(() => resolve(true)));
  });
}

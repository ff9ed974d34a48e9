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
import { allocateScenarios, ScenarioBook } from '../observe/scenarios.js';
import type { AdminAsk, AdminReply, FromWorker, ToWorker, WorkerInit } from './messages.js';
import { StartupError } from '../http/uws.js';
import { chooseEngine, type EngineName } from '../http/engines.js';
import type { Engine, ListenToken } from '../http/engine.js';
import { reusePortSupported } from '../http/portable/engine.js';
import { deepFreeze } from '../config/options.js';
import { LogBudget } from '../observe/log-budget.js';

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
  /** The HTTP/2 listener's port (--h2-port), null when there is none. */
  readonly h2Port: number | null;
  /** The engine serving: native uWebSockets.js, or portable node:http. */
  readonly engine: EngineName;
  readonly workers: number;
  /** Begin graceful shutdown (first call) or stop at once (second call); resolves with the exit code. */
  shutdown(): Promise<number>;
  /** Resolves with the exit code once every worker has exited. */
  readonly closed: Promise<number>;
  /** Runtime routes and the journal, as the /__mock/routes and /__mock/requests endpoints do them. */
  admin(ask: AdminAsk): Promise<AdminReply>;
}

/** Start the server described by config; rejects with StartupError for anything the user must fix. */
export async function startServer(asked: ServerConfig, log: Logger): Promise<RunningServer> {
  const t0 = performance.now();
  // Chosen first: a missing native build is the first thing to report, before any file or port check.
  const needs = portableNeeds(asked);
  const { engine, fallbackReason } = chooseEngine(asked.engine, needs);
  const config = servingConfig(asked, engine, log, fallbackReason, needs !== null);
  const ports = await preflight(config, engine);
  const supervisor = new Supervisor(config, engine.name, log, ports);
  await supervisor.start();
  supervisor.announce(performance.now() - t0);
  return supervisor.running();
}

/**
 * The config the workers get: the engine's name in place of `auto`, and one worker where the portable
 * engine cannot share the port (Node before 22.12: no `reusePort`). Each change is said in a warning.
 */
function servingConfig(asked: ServerConfig, engine: Engine, log: Logger, fallbackReason: string | null, needed = false): ServerConfig {
  let workers = asked.workers;
  if (needed && fallbackReason !== null) {
    log.warn({ event: 'engine-choice', engine: engine.name, reason: fallbackReason }, `serving with the portable engine (node:http): ${fallbackReason}`);
  } else if (fallbackReason !== null) {
    log.warn({ event: 'engine-fallback', engine: engine.name, reason: fallbackReason },
      'serving with the portable engine (node:http, about half the throughput): the native uWebSockets.js build did not load');
  }
  if (engine.name === 'portable' && workers > 1 && !reusePortSupported()) {
    log.warn({ event: 'one-worker', asked: workers, node: process.versions.node },
      `the portable engine runs 1 worker on Node ${process.versions.node}: sharing a port needs reusePort (Node 22.12 or later on Linux)`);
    workers = 1;
  }
  if (asked.h2 !== null && workers > 1 && !reusePortSupported()) {
    log.warn({ event: 'h2-one-worker', workers, node: process.versions.node },
      `the HTTP/2 listener runs in worker 0 only on Node ${process.versions.node}: sharing its port between threads needs reusePort (Node 22.12 or later on Linux); HTTP/1.1 uses every worker`);
  }
  return deepFreeze({ ...asked, engine: engine.name, workers });
}

/**
 * Why the portable engine must serve, or null: uWS 20.30 reads PROXY version 2 only and lets a connection
 * without a header through; it takes a CA but neither requires a client certificate nor shows it (measured:
 * docs/gateway-checks.md).
 */
export function portableNeeds(config: ServerConfig): string | null {
  if (config.proxyProtocol) return '--proxy-protocol needs it (uWS 20.30 reads PROXY v2 only and does not require the header)';
  if (config.tls?.caFile != null) return '--tls-ca needs it (uWS 20.30 neither requires nor shows a client certificate)';
  return null;
}

/** The ports probed at startup (0: no admin listener). */
interface Ports {
  readonly port: number;
  readonly adminPort: number;
  readonly adminHost: string;
  /** The HTTP/2 listener's port, 0 when there is none. */
  readonly h2Port: number;
}

// Everything the user must fix is found here, before a worker starts: unreadable TLS files, a missing
// payload folder, a port in use.
async function preflight(config: ServerConfig, engine: Engine): Promise<Ports> {
  if (config.tls) {
    checkReadable(config.tls.certFile, '--tls-cert');
    checkReadable(config.tls.keyFile, '--tls-key');
    if (config.tls.caFile !== null) checkReadable(config.tls.caFile, '--tls-ca');
  }
  checkFolder(config.payloadsDir, '--payloads');
  const port = await probePort(engine, config.host, config.port, '--port', '--host');
  const adminHost = config.adminHost ?? config.host;
  const adminPort = config.admin && config.adminPort !== null ? await probePort(engine, adminHost, config.adminPort, '--admin-port', '--admin-host (or --host)') : 0;
  if (adminPort !== 0 && adminPort === port) throw new StartupError(`--admin-port ${adminPort} is the data port: choose another`);
  const h2Port = config.h2 === null ? 0 : await probePort(engine, config.host, config.h2.port, '--h2-port', '--host');
  if (h2Port !== 0 && (h2Port === port || h2Port === adminPort)) {
    throw new StartupError(`--h2-port ${h2Port} is the ${h2Port === port ? 'data' : 'admin'} port: choose another`);
  }
  return { port, adminPort, adminHost, h2Port };
}

/** One worker position: the thread filling it now, and what its restarts and saturation episodes left. */
interface Slot {
  worker: Worker | null;
  /** A pending restart (cleared at shutdown). */
  restartTimer: NodeJS.Timeout | null;
  startedAt: number;
  crashes: number;
  /** Whether the last saturation line logged for this worker was a warning (a recovery is owed). */
  saturated: boolean;
  /** handler-error lines of this worker: at most HandlerErrorsPerSecond reach the log. */
  readonly errors: LogBudget;
}

/** handler-error lines logged per worker and second; the rest are counted in the next line's `suppressed`. */
export const HandlerErrorsPerSecond = 10;

/** One thread's start: settled by its first 'listening', 'failed', startup error or exit. */
interface Start {
  listening: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/** The exit code the process will end with, and the promise that delivers it once. */
class ExitLatch {
  private code = 0;
  private settle: (code: number) => void = () => {};
  readonly closed = new Promise<number>((resolve) => { this.settle = resolve; });

  /** Something went wrong during shutdown: the process exits 1 whatever happens next. */
  fail(): void {
    this.code = 1;
  }

  /** Every worker is gone: deliver the code (a later call changes nothing). */
  finish(): void {
    this.settle(this.code);
  }

  /** Give up waiting for workers: exit 1 now. */
  abandon(): void {
    this.settle(1);
  }
}

/** The main thread's side of a running server: its worker threads, their restarts and the shutdown. */
class Supervisor {
  private readonly slots: Slot[];
  private readonly sab: SharedArrayBuffer;
  private readonly scenarios: SharedArrayBuffer;
  private readonly counters: Counters;
  private readonly control: ControlPlane;
  private readonly exit = new ExitLatch();
  private readonly startedAt = performance.timeOrigin;
  private stopping = false;
  private forced = false;

  constructor(private readonly config: ServerConfig, private readonly engine: EngineName, private readonly log: Logger, private readonly ports: Ports) {
    this.sab = allocateCounters(config.workers);
    this.scenarios = allocateScenarios();
    this.counters = new Counters(this.sab);
    this.slots = Array.from({ length: config.workers }, () => ({ worker: null, restartTimer: null, startedAt: 0, crashes: 0, saturated: false, errors: new LogBudget(HandlerErrorsPerSecond) }));
    this.control = new ControlPlane(config.routes,
      { maxDelayMs: config.maxDelayMs, maxSizeBytes: config.maxSizeBytes, payloadsDir: config.payloadsDir, adminPrefix: config.adminPrefix },
      config.journal > 0, {
        live: () => this.liveWorkers(),
        post: (i, msg) => this.slots[i].worker?.postMessage(msg),
      }, new ScenarioBook(this.scenarios));
  }

  /** Start every worker; if one fails, stop the others, wait for them, and reject with its error. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.slots.map((_, i) => this.spawn(i)));
    } catch (err) {
      this.stopping = true;
      this.broadcast({ type: 'stop' });
      await Promise.all(this.slots.map((s) => (s.worker ? new Promise((r) => s.worker?.once('exit', r)) : null)));
      throw err;
    }
  }

  /** Log the listening line, and the warnings about an exposed admin API or the test-only fault hook. */
  announce(startupMs: number): void {
    const { config, log } = this;
    const { port, adminPort, adminHost, h2Port } = this.ports;
    const scheme = config.tls ? 'https' : 'http';
    const h2 = h2Port === 0 ? '' : `, HTTP/2 on ${config.tls ? `https://${config.host}:${h2Port} (h2 and http/1.1 by ALPN)` : `http://${config.host}:${h2Port} (h2c, prior knowledge)`}`;
    log.info({
      event: 'listening', version: Version, host: config.host, port, h2Port: h2Port === 0 ? null : h2Port, adminPort: adminPort === 0 ? null : adminPort,
      adminHost: adminPort === 0 ? null : adminHost, admin: config.admin, workers: config.workers, routes: this.control.current().length,
      engine: config.engine, uws: config.engine === 'native' ? uwsBuild() : null, node: process.versions.node, tls: config.tls !== null, mtls: config.tls?.caFile != null, proxyProtocol: config.proxyProtocol, startupMs: Math.round(startupMs),
    }, `mock-upstream ${Version} listening on ${scheme}://${config.host}:${port} with ${config.workers} worker(s) (${config.engine} engine${portableNeeds(config) === null ? '' : `: ${portableNeeds(config)}`})${h2}`);
    if (config.admin && adminPort === 0 && !isLoopback(config.host)) {
      log.warn({ event: 'admin-exposed', host: config.host, adminPrefix: config.adminPrefix },
        `admin API ${config.adminPrefix} is reachable on the data port on ${config.host}: any client can replace routes; use --admin-port with --admin-host 127.0.0.1, or --no-admin`);
    }
    if (process.env[FaultHookEnv] === FaultHookPhrase) {
      const ignoring = process.env[FaultIgnoreDrainEnv];
      log.warn({ event: 'fault-hook' }, `${FaultHookEnv} is set: ${'/__mock/test/crash'} crashes workers (tests only)${
        ignoring ? `; ${FaultIgnoreDrainEnv}: worker(s) ${ignoring} ignore the drain on shutdown` : ''}`);
    }
  }

  /** The server as the CLI and the public API see it (only what they may call). */
  running(): RunningServer {
    return {
      port: this.ports.port,
      h2Port: this.ports.h2Port === 0 ? null : this.ports.h2Port,
      engine: this.engine,
      workers: this.config.workers,
      closed: this.exit.closed,
      admin: (ask) => this.control.handle(ask),
      shutdown: () => this.shutdown(),
    };
  }

  // Indexes of the workers that exist now (starting, listening or draining).
  private liveWorkers(): number[] {
    return this.slots.flatMap((s, i) => (s.worker === null ? [] : [i]));
  }

  private broadcast(msg: ToWorker): void {
    for (const s of this.slots) s.worker?.postMessage(msg);
  }

  private spawn(index: number): Promise<void> {
    const { port, adminPort, h2Port } = this.ports;
    const init: WorkerInit = {
      config: this.config, engine: this.engine, index, port, adminPort, h2Port, startedAt: this.startedAt, counters: this.sab, scenarios: this.scenarios,
      routes: this.control.current(), patterns: this.control.registeredPatterns(), grpcHealth: this.control.grpcHealth(),
    };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const slot = this.slots[index];
    slot.worker = worker;
    slot.startedAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      const start: Start = { listening: false, resolve, reject };
      worker.on('message', (msg: FromWorker) => this.onMessage(index, worker, start, msg));
      // A message the main thread cannot decode (say, too deep to clone): log it; the worker's ask times out
      // with a 504 rather than waiting forever.
      worker.on('messageerror', (err) => {
        this.log.error({ worker: index, err }, `worker ${index}: a message could not be decoded: ${err.message}`);
      });
      worker.on('error', (err) => {
        // Errors thrown at module load, before the worker's own handler exists.
        if (!start.listening) reject(new StartupError(`worker ${index} failed to start: ${err.message}`));
        else this.log.error({ worker: index, err }, `worker ${index} error: ${err.message}`);
      });
      worker.on('exit', (code) => this.onExit(index, start, code));
    });
  }

  private onMessage(index: number, worker: Worker, start: Start, msg: FromWorker): void {
    const { log } = this;
    switch (msg.type) {
      case 'listening':
        start.listening = true;
        start.resolve();
        return;
      case 'failed':
        start.reject(new StartupError(msg.message));
        return;
      case 'crashed':
        log.error({ worker: index, err: { message: msg.message, stack: msg.stack } }, `worker ${index} crashed: ${msg.message}`);
        // A crash during the drain is a failed shutdown whatever code the thread ends with (README: exit 1).
        if (this.stopping) this.exit.fail();
        return;
      case 'handlerError': {
        const suppressed = this.slots[index].errors.take();
        if (suppressed < 0) return;
        log.error({ event: 'handler-error', worker: index, route: msg.route, err: { message: msg.message, stack: msg.stack }, ...(suppressed > 0 ? { suppressed } : {}) },
          `worker ${index}: the ${msg.route} handler threw (answered 500, still serving): ${msg.message}${suppressed > 0 ? ` (${suppressed} more since the last such line, not logged)` : ''}`);
        return;
      }
      case 'saturation':
        this.onSaturation(index, msg.saturated, msg.elu);
        return;
      case 'ask':
        this.answerAsk(index, worker, msg.id, msg.ask);
        return;
      case 'scenario':
        this.control.scenarios.claimed(msg.claim);
        return;
      case 'applied':
      case 'journal':
      case 'heap':
        this.control.onAnswer(index, msg);
        return;
      case 'drained':
        if (msg.cut > 0) log.warn({ worker: index, cut: msg.cut }, `worker ${index}: grace period over, ${msg.cut} responses cut`);
        return;
    }
  }

  // Each worker samples its own event loop; the main thread logs one warning per episode and one recovery.
  private onSaturation(index: number, saturated: boolean, elu: number): void {
    const pct = Math.round(elu * 100);
    this.slots[index].saturated = saturated;
    if (saturated) {
      this.log.warn({ event: 'saturated', worker: index, elu },
        `upstream saturated: worker ${index} event loop ${pct}% busy for ${this.config.saturationSeconds}s; results measure the upstream, not the gateway — add workers`);
    } else {
      this.log.info({ event: 'recovered', worker: index, elu }, `worker ${index} no longer saturated (event loop ${pct}% busy)`);
    }
  }

  // The thread is gone: its gauges no longer describe anything, and a saturation episode it was in ends
  // here, so its replacement starts clear and a new episode warns afresh.
  private clearGauges(index: number): void {
    const { counters } = this;
    counters.cells[counters.row(index) + F.saturated] = 0;
    counters.cells[counters.row(index) + F.elu] = 0;
    counters.clearOpenStreams(index);
    const slot = this.slots[index];
    if (slot.saturated) {
      slot.saturated = false;
      if (!this.stopping) this.log.info({ event: 'recovered', worker: index, elu: 0 }, `worker ${index} no longer saturated (it exited)`);
    }
  }

  // Every ask gets an answer: a failed action is a 500 reply, not an unhandled rejection and a waiting worker.
  private answerAsk(index: number, worker: Worker, id: number, ask: AdminAsk): void {
    const answer = (reply: AdminReply): void => worker.postMessage({ type: 'answer', id, reply } satisfies ToWorker);
    this.control.handle(ask).then(answer, (err: unknown) => answer({ status: 500,
      body: serializeError({ error: `admin ${ask.op} failed: ${(err as Error)?.message ?? String(err)}` }) }))
      .catch((err: unknown) => this.log.error({ worker: index, err }, `worker ${index}: could not answer an admin call: ${(err as Error)?.message}`));
  }

  private onExit(index: number, start: Start, code: number): void {
    this.slots[index].worker = null;
    this.control.onExit(index);
    this.clearGauges(index);
    if (!start.listening) start.reject(new StartupError(`worker ${index} exited during startup (code ${code})`));
    if (this.stopping) {
      if (code !== 0) this.exit.fail();
      this.finishIfAllGone();
      return;
    }
    if (start.listening) this.restart(index, code);
  }

  // Restart with a back-off that doubles per consecutive crash; a worker that lived StableMs starts over.
  private restart(index: number, code: number | null): void {
    const slot = this.slots[index];
    if (performance.now() - slot.startedAt > StableMs) slot.crashes = 0;
    const delay = backoffMs(slot.crashes);
    slot.crashes++;
    this.counters.cells[this.counters.row(index) + F.restarts]++;
    if (code !== null) this.log.error({ worker: index, code, restartInMs: delay }, `worker ${index} exited with code ${code}; restarting in ${delay} ms`);
    // Not unref'd: with every worker gone this timer is what keeps the process alive to restart them.
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.stopping) return;
      this.spawn(index).then(
        () => this.log.info({ worker: index }, `worker ${index} restarted`),
        (err: Error) => {
          // Try again, backing off further, once the failed thread is gone.
          this.log.error({ worker: index, retryInMs: backoffMs(slot.crashes) }, `worker ${index} restart failed: ${err.message}; retrying`);
          const failed = slot.worker;
          if (failed === null) this.restart(index, null);
          else failed.once('exit', () => this.restart(index, null));
        },
      );
    }, delay);
  }

  // First call: drain; second: stop at once; later ones only wait.
  private shutdown(): Promise<number> {
    if (!this.stopping) this.drain();
    else if (!this.forced) this.forceStop();
    this.finishIfAllGone();
    return this.exit.closed;
  }

  private drain(): void {
    const { config, log } = this;
    this.stopping = true;
    for (const s of this.slots) if (s.restartTimer !== null) clearTimeout(s.restartTimer);
    log.info({ event: 'shutdown', graceMs: config.graceMs }, `shutting down: finishing in-flight responses (grace ${config.graceMs} ms)`);
    this.broadcast({ type: 'drain', graceMs: config.graceMs });
    setTimeout(() => this.stopStuck(), config.graceMs + StopStuckMs).unref();
    setTimeout(() => this.giveUp(), config.graceMs + ShutdownSlackMs).unref();
  }

  private forceStop(): void {
    this.forced = true;
    this.log.warn({ event: 'shutdown' }, 'second signal: stopping now');
    this.broadcast({ type: 'stop' });
  }

  // Workers still running StopStuckMs past the grace are stuck: tell them to stop, and exit 1 once they are
  // gone (the exit handler finishes the latch).
  private stopStuck(): void {
    const stuck = this.liveWorkers();
    if (stuck.length === 0) return;
    this.exit.fail();
    this.log.error({ workers: stuck }, `worker(s) ${stuck.join(', ')} still running ${StopStuckMs} ms after the grace period; stopping them`);
    for (const i of stuck) this.slots[i].worker?.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  private giveUp(): void {
    const stuck = this.liveWorkers();
    if (stuck.length === 0) return;
    this.log.error({ workers: stuck }, `workers did not stop in time (worker(s) ${stuck.join(', ')} unresponsive); exiting`);
    this.exit.abandon();
  }

  private finishIfAllGone(): void {
    if (this.slots.every((s) => s.worker === null)) this.exit.finish();
  }
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
function probePort(engine: Engine, host: string, wanted: number, flag: string, hostFlag: string): Promise<number> {
  const app = engine.App();
  return new Promise<number>((resolve, reject) => {
    app.listen(host, wanted, engine.LIBUS_LISTEN_EXCLUSIVE_PORT, (token: ListenToken | false) => {
      if (!token) {
        app.close();
        // uWS gives no errno: ask the OS whether the address itself is the problem.
        void addressAvailable(host).then((available) => reject(new StartupError(available
          ? `port ${wanted} on ${host} is already in use: stop the other server or choose another ${flag}`
          : `address ${host} is not available on this machine: choose another ${hostFlag}`)));
        return;
      }
      const port = engine.us_socket_local_port(token);
      engine.us_listen_socket_close(token);
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

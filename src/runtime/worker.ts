// Worker thread entry: one app of the chosen engine listening on the shared port (SO_REUSEPORT), drained on request.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { GrpcHandler } from '../features/grpc/index.js';
import type { ServingStatusName } from '../features/grpc/health.js';
import { createApp, type BuiltApp } from '../app/app.js';
import type { RouteContext } from '../features/context.js';
import { startSampler } from '../observe/saturation.js';
import { AskTimeoutMs, FaultHookEnv, FaultHookPhrase, FaultIgnoreDrainEnv } from '../config/defaults.js';
import { selectEntries } from '../observe/journal.js';
import type { AdminAsk, AdminReply, FromWorker, ToWorker, WorkerInit } from './messages.js';
import { engineNamed } from '../http/engines.js';
import type { Engine, EngineApp, ListenToken } from '../http/engine.js';
import { createH2Engine, type H2Engine } from '../http/h2/engine.js';
import { reusePortSupported } from '../http/portable/engine.js';
import { F } from '../observe/counters.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');

// Test-only (see FaultIgnoreDrainEnv): this worker ignores 'drain', so the supervisor's shutdown timeout must stop it.
const ignoreDrain = process.env[FaultHookEnv] === FaultHookPhrase
  && (process.env[FaultIgnoreDrainEnv] ?? '').split(',').map((w) => w.trim()).includes(String(init.index));

function tell(msg: FromWorker): void {
  port?.postMessage(msg);
}

let engine: Engine;
let app: EngineApp | null = null;
let adminApp: EngineApp | null = null;
let adminToken: ListenToken | null = null;
/** The HTTP/2 listener (--h2-port): its engine, app and token. */
let h2Engine: H2Engine | null = null;
let h2App: EngineApp | null = null;
let grpc: GrpcHandler | null = null;
let h2Token: ListenToken | null = null;
let ctx: RouteContext | null = null;
let setRoutes: ((routes: BuiltApp['ctx']['routeConfigs']) => void) | null = null;
let nextAsk = 1;
const asks = new Map<number, (reply: AdminReply) => void>();

// Runtime routes and the journal span every worker: the main thread carries them out. Nothing waits forever:
// past AskTimeoutMs (above the main thread's own gather timeout) the ask answers 504, and a message that
// cannot be sent (say, too deep to clone) answers 400 at once.
function ask(a: AdminAsk): Promise<AdminReply> {
  const id = nextAsk++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle(id, { status: 504, body: JSON.stringify({ error: `admin ${a.op}: the main thread did not answer within ${AskTimeoutMs} ms` }) }), AskTimeoutMs);
    timer.unref();
    asks.set(id, (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    try {
      tell({ type: 'ask', id, ask: a });
    } catch (err) {
      settle(id, { status: 400, body: JSON.stringify({ error: `admin ${a.op}: the request could not be passed on: ${(err as Error).message}`, param: 'body' }) });
    }
  });
}

// Answer the ask with this id once (a late answer after the timeout finds nothing).
function settle(id: number, reply: AdminReply): void {
  const resolve = asks.get(id);
  asks.delete(id);
  resolve?.(reply);
}
let token: ListenToken | null = null;

// An exception escaping to here would end this thread with its app still open, and uWebSockets.js then aborts
// the whole process, every worker with it (docs/operations.md, "Crashes"): close the app first, then leave
// with a non-zero code so the supervisor starts a replacement.
process.on('uncaughtException', (err) => {
  tell({ type: 'crashed', message: err?.message ?? String(err), stack: err?.stack ?? '' });
  closeAndExit(70);
});

let exiting = false;

// Single-shot: a crash during a drain must exit 70, not be overtaken by the drain's idle callback (which
// app.close() triggers) exiting 0 first; whichever exit comes first wins and the rest are ignored.
function closeAndExit(code: number): void {
  if (exiting) return;
  exiting = true;
  try {
    app?.close();
    adminApp?.close();
    h2App?.close();
  } catch {
    // already closed
  }
  app = null;
  adminApp = null;
  h2App = null;
  process.exit(code);
}

function inFlight(c: RouteContext): number {
  return c.scheduler.pending + c.filler.active + c.bodies.collecting;
}

/** Time a drain that finished responses leaves their last bytes to leave the engine's buffers (ms). */
const FlushMs = 250;

function drain(graceMs: number): void {
  if (ctx === null || app === null) return closeAndExit(0);
  const c = ctx;
  c.draining = true;
  // Open streams end now: SSE with its terminating chunk, WebSockets with 1001 Going Away (they close as
  // their clients answer, or at the cut).
  for (const hook of c.onDrain) hook();
  if (token !== null) engine.us_listen_socket_close(token);
  if (adminToken !== null) engine.us_listen_socket_close(adminToken);
  // The HTTP/2 listener stops too, and its open sessions get GOAWAY: their streams finish within the grace.
  if (h2Token !== null) h2Engine?.us_listen_socket_close(h2Token);
  adminToken = null;
  h2Token = null;
  token = null;
  // A response that just ended may still have bytes in the engine's buffer (the last chunk of a download to
  // a slow reader: seen cut by app.close() in CI); the engine has no flush callback, so a drain that finished
  // responses waits FlushMs (within the grace) before closing its connections.
  const hadInFlight = inFlight(c) !== 0;
  let finished = false;
  const done = (): void => {
    if (finished || inFlight(c) !== 0) return;
    finished = true;
    tell({ type: 'drained', cut: 0 });
    if (!hadInFlight) {
      clearTimeout(timer);
      closeAndExit(0);
      return;
    }
    setTimeout(() => { clearTimeout(timer); closeAndExit(0); }, FlushMs);
  };
  // Past the grace period, whatever is still pending is cut (app.close() aborts it).
  const timer = setTimeout(() => {
    if (!finished) tell({ type: 'drained', cut: inFlight(c) });
    closeAndExit(0);
  }, graceMs);
  c.scheduler.onIdle = done;
  c.filler.onIdle = done;
  // Bodies being collected have no idle hook; poll them rarely (only /echo uploads, only at shutdown).
  const poll = setInterval(() => { if (inFlight(c) === 0) { clearInterval(poll); done(); } }, 20);
  poll.unref();
  done();
}

// Test and bench only (reached through the fault-hook route /__mock/test/gc): a soak compares live heaps,
// which only a full collection shows; without --expose-gc the flag is set at runtime, once.
function fullGc(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

// A message from the main thread that cannot be decoded: say so; the ask it answered times out with a 504.
port.on('messageerror', (err) => {
  tell({ type: 'handlerError', route: 'worker messages', message: `a message from the main thread could not be decoded: ${err.message}`, stack: err.stack ?? '' });
});

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'drain': if (!ignoreDrain) drain(msg.graceMs); break;
    case 'stop': closeAndExit(0); break;
    case 'answer': settle(msg.id, msg.reply); break;
    case 'routes': {
      let error: string | null = null;
      try {
        setRoutes?.(msg.routes);
      } catch (err) {
        error = `worker ${init.index}: ${(err as Error).message}`;
      }
      tell({ type: 'applied', id: msg.id, error });
      break;
    }
    case 'journal': {
      const journal = ctx?.journal ?? null;
      tell({ type: 'journal', id: msg.id, entries: journal === null || msg.clear ? [] : selectEntries(journal.entries(), msg.filter) });
      if (msg.clear) journal?.clear();
      break;
    }
    case 'grpcHealth': {
      let error: string | null = null;
      try {
        grpc?.setHealth(msg.service, msg.status as ServingStatusName);
      } catch (err) {
        error = `worker ${init.index}: ${(err as Error).message}`;
      }
      tell({ type: 'applied', id: msg.id, error });
      break;
    }
    case 'gc':
      fullGc();
      tell({ type: 'heap', id: msg.id, heapUsed: process.memoryUsage().heapUsed });
      break;
  }
});

try {
  engine = engineNamed(init.engine);
  const h2 = init.config.h2;
  if (h2 !== null) h2Engine = createH2Engine(h2);
  // The gRPC handler loads protobufjs and the protos (~140 ms): only a worker with an HTTP/2 listener pays it.
  const grpcModule = h2 !== null ? await import('../features/grpc/index.js') : null;
  const built = createApp(engine, {
    h2: h2Engine ?? undefined,
    grpc: grpcModule?.createGrpcHandler,
    config: init.config, port: init.port, startedAt: init.startedAt, workerIndex: init.index, counters: init.counters,
    scenarios: init.scenarios, onScenario: (claim) => tell({ type: 'scenario', claim }),
    routes: init.routes, patterns: init.patterns, grpcHealth: init.grpcHealth, ask,
    onHandlerError: (route, err) => tell({ type: 'handlerError', route, message: err.message, stack: err.stack ?? '' }),
  });
  // Exceptions contained outside route handlers (body callbacks, timers) are reported like handler errors.
  built.ctx.writer.report = (route, err) => tell({ type: 'handlerError', route, message: err.message, stack: err.stack ?? '' });
  setRoutes = built.setRoutes;
  app = built.app;
  adminApp = built.adminApp;
  h2App = built.h2App;
  grpc = built.grpc;
  ctx = built.ctx;
  // The worker is listening once every listener of its own is (the data port, and the HTTP/2 port).
  const listeners = h2App !== null && (init.index === 0 || reusePortSupported()) ? 2 : 1;
  let listened = 0;
  const ready = (): void => {
    if (++listened < listeners) return;
    const c = built.ctx;
    startSampler(c.counters, {
      pending: () => c.scheduler.pending,
      streaming: () => c.filler.active + c.bodies.collecting,
    }, init.config.saturationElu, init.config.saturationSeconds, (change) => tell({ type: 'saturation', ...change }));
    tell({ type: 'listening' });
  };
  // Where threads cannot share a port (Node before 22.12, see reusePortSupported), worker 0 alone serves HTTP/2.
  if (h2App !== null && listeners === 2) {
    const h2Port = init.h2Port;
    h2App.listen(init.config.host, h2Port, (t: ListenToken | false) => {
      if (!t) {
        tell({ type: 'failed', message: `worker ${init.index} could not listen on HTTP/2 port ${init.config.host}:${h2Port}` });
        closeAndExit(1);
        return;
      }
      h2Token = t;
      built.ctx.counters.set(F.h2Port, h2Port);
      ready();
    });
  }
  if (adminApp !== null) {
    const adminHost = init.config.adminHost ?? init.config.host;
    adminApp.listen(adminHost, init.adminPort, (t: ListenToken | false) => {
      if (!t) {
        tell({ type: 'failed', message: `worker ${init.index} could not listen on admin port ${adminHost}:${init.adminPort}` });
        closeAndExit(1);
        return;
      }
      adminToken = t;
    });
  }
  app.listen(init.config.host, init.port, (t: ListenToken | false) => {
    if (!t) {
      tell({ type: 'failed', message: `worker ${init.index} could not listen on ${init.config.host}:${init.port}` });
      closeAndExit(1);
      return;
    }
    token = t;
    ready();
  });
} catch (err) {
  tell({ type: 'failed', message: (err as Error).message });
  closeAndExit(1);
}

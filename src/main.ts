// The CLI proper (loaded by cli.ts once its signal handlers are in): argv/env -> config -> supervisor; signals;
// exit codes (2 usage, 1 startup, 0 clean).
import { parseCommand, UsageError } from './config/options.js';
import { ConfigFileError } from './config/file.js';
import { createLogger } from './observe/log.js';
import { startServer, type RunningServer } from './runtime/supervisor.js';
import { StartupError } from './http/uws.js';
import { Version } from './version.js';

function fail(code: number, message: string): never {
  process.stderr.write(`mock-upstream: ${message}\n`);
  process.exit(code);
}

/** Signals caught by cli.ts before this module loaded, and where later ones go once the server starts. */
export interface EarlySignals {
  /** The first signal received so far with no handler yet (null: none). */
  signal: NodeJS.Signals | null;
  /** Set by main when it can act on a signal; until then cli.ts only records it. */
  handler: ((signal: NodeJS.Signals) => void) | null;
}

/** Run the command in process.argv; signals arrive through `signals` (installed first thing by cli.ts). */
export async function main(signals: EarlySignals): Promise<void> {
  let command;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) fail(2, err.message);
    // Every error with its JSON path, one per line after the summary.
    if (err instanceof ConfigFileError) fail(1, err.message);
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return;
  }
  if (command.kind === 'check') {
    const routes = command.config.routes;
    const list = routes.map((r) => `${Array.isArray(r.method) ? r.method.join(',') : r.method ?? 'ANY'} ${r.path}`);
    process.stdout.write(`${command.file}: ok, ${routes.length} route(s)${list.length ? `: ${list.join('; ')}` : ''}\n`);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${Version}\n`);
    return;
  }
  // Stopped before the server was started: a clean stop with nothing to drain (exit 0, nothing started).
  if (signals.signal !== null) process.exit(0);
  const log = createLogger(command.config.logLevel);
  let server: RunningServer | null = null;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, `received ${signal}`);
    signalled = true;
    if (server !== null) void server.shutdown();
  };
  // From here a signal starts the graceful shutdown (once the server is up, at once if it already is).
  signals.handler = onSignal;
  try {
    server = await startServer(command.config, log);
  } catch (err) {
    if (err instanceof StartupError) fail(1, err.message);
    throw err;
  }
  if (signalled) void server.shutdown();
  const code = await server.closed;
  process.exit(code);
}

/** The last-resort failure: one line and exit 1. */
export function failUnexpected(err: unknown): never {
  return fail(1, `unexpected error: ${(err as Error)?.stack ?? String(err)}`);
}

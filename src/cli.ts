#!/usr/bin/env node
// Command line entry: argv/env -> config -> supervisor; signals; exit codes (2 usage, 1 startup, 0 clean).
import { parseCommand, UsageError } from './config/options.js';
import { ConfigFileError } from './config/file.js';
import { createLogger } from './observe/log.js';
import { startServer, type RunningServer } from './runtime/supervisor.js';
import { StartupError } from './runtime/uws.js';
import { Version } from './version.js';

function fail(code: number, message: string): never {
  process.stderr.write(`mock-upstream: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
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
  const log = createLogger(command.config.logLevel);
  let server: RunningServer | null = null;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, `received ${signal}`);
    signalled = true;
    if (server !== null) void server.shutdown();
  };
  // Installed before the listening line is logged, so a signal right after it is never lost;
  // explicit handlers also make signals work when we run as PID 1 in a container.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
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

main().catch((err: unknown) => fail(1, `unexpected error: ${(err as Error)?.stack ?? String(err)}`));

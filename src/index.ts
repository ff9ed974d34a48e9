// Public API: start mock-upstream in-process as a test fixture.
import { parseCommand, type ServerConfig } from './config/options.js';
import { createLogger } from './observe/log.js';
import { startServer } from './runtime/supervisor.js';

export type { ServerConfig };

/** Options for startMockUpstream; each maps to the CLI flag of the same name. */
export interface MockUpstreamOptions {
  /** TCP port; 0 (the default here) picks a free one. */
  port?: number;
  /** Interface; default 127.0.0.1 (a fixture should not listen on every interface). */
  host?: string;
  /** Worker threads; default 1. */
  workers?: number | 'auto';
  /** pino level for the server's own log lines (stdout); default 'silent'. */
  logLevel?: string;
  /** Drain time on close(), as a duration ('1s') ; default '5s'. */
  grace?: string;
  maxBody?: string;
  maxDelay?: string;
  maxSize?: string;
}

/** A running fixture. Always await close() before your process exits. */
export interface MockUpstream {
  readonly url: string;
  readonly port: number;
  readonly config: ServerConfig;
  /** Drain in-flight responses (within grace) and stop every worker. */
  close(): Promise<void>;
}

/** Start the server with the given options; resolves once every worker is listening. */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const argv = ['--port', String(options.port ?? 0), '--host', options.host ?? '127.0.0.1', '--workers', String(options.workers ?? 1)];
  const flags: [keyof MockUpstreamOptions, string][] = [['logLevel', '--log-level'], ['grace', '--grace'], ['maxBody', '--max-body'], ['maxDelay', '--max-delay'], ['maxSize', '--max-size']];
  for (const [key, flag] of flags) if (options[key] !== undefined) argv.push(flag, String(options[key]));
  if (options.logLevel === undefined) argv.push('--log-level', 'silent');
  // The same parser as the CLI, so the API accepts exactly what the flags accept.
  const command = parseCommand(argv, {});
  if (command.kind !== 'serve') throw new Error('unexpected command');
  const server = await startServer(command.config, createLogger(command.config.logLevel));
  const host = command.config.host.includes(':') ? `[${command.config.host}]` : command.config.host;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port,
    config: command.config,
    async close() {
      await server.shutdown();
    },
  };
}

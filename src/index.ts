// Public API: start mock-upstream in-process as a test fixture.
import type { EngineChoice } from './config/defaults.js';
import type { EngineName } from './http/engines.js';
import { deepFreeze, parseCommand, type ServerConfig } from './config/options.js';
import { SettingRows, type FixtureSettingKey } from './config/settings.js';
import { checkConfig, ConfigFileError, type RouteConfig } from './config/file.js';
import type { JournalEntry } from './observe/journal.js';
import type { AdminAsk } from './http/ask.js';
import type { JournalFilter } from './observe/journal.js';
import { createLogger } from './observe/log.js';
import { startServer } from './runtime/supervisor.js';

export type { EngineChoice, EngineName, JournalEntry, JournalFilter, RouteConfig, ServerConfig };

/**
 * Options for startMockUpstream; each (routes aside) is a row of the settings table marked `fixture`
 * (src/config/settings.ts) and is passed on as that row's flag.
 */
export interface MockUpstreamOptions {
  /** TCP port; 0 (the default here) picks a free one. */
  port?: number;
  /** Interface; default 127.0.0.1 (a fixture should not listen on every interface). */
  host?: string;
  /**
   * HTTP engine (as --engine); default 'auto' here: native uWebSockets.js where its build loads (Node 20),
   * else the portable node:http engine. The result's `engine` says which one serves.
   */
  engine?: EngineChoice;
  /** Worker threads; default 1. */
  workers?: number | 'auto';
  /** pino level for the server's own log lines (stdout); default 'silent'. */
  logLevel?: string;
  /** Drain time on close(), as a duration ('1s') ; default '5s'. */
  grace?: string;
  maxBody?: string;
  maxDelay?: string;
  maxSize?: string;
  /** Largest WebSocket message a socket takes, as a size ('1MiB'; as --ws-max-message). */
  wsMaxMessage?: string;
  /** A config file (routes and server settings), as --config. */
  config?: string;
  /** The payload folder served at /payloads/ and read by body.file (as --payloads); default the shipped one. */
  payloads?: string;
  /** The admin endpoints' prefix (as --admin-prefix); default /__mock/. */
  adminPrefix?: string;
  /** Configured routes to start with (instead of the config file's); resetRoutes() returns to them. */
  routes?: RouteConfig[];
  /** Keep the last N requests per worker for requests(); default 0 (off). */
  journal?: number;
  /** Headers the journal redacts, comma-separated or 'none' (as --journal-redact). */
  journalRedact?: string;
  /** Request body bytes the journal keeps per request, as a size ('64KiB'). */
  journalBody?: string;
  /** Also read X-Mock-<Name> control headers (as --mock-headers); default true here, where throughput matters less than convenience. */
  mockHeaders?: boolean;
  /** Make every random choice reproducible (as --seed). */
  seed?: number;
  /** Also serve HTTP/2 on this port (as --h2-port; 0 picks one): h2c, or h2 and HTTP/1.1 by ALPN over TLS. The result's h2Url names it. */
  h2Port?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of the HTTP/2 listener (as --h2-max-streams). */
  h2MaxStreams?: number;
  /** GOAWAY every HTTP/2 connection after N streams (a number) or a duration ('30s'), as --h2-goaway-after. */
  h2GoawayAfter?: number | string;
  /** GOAWAY an HTTP/2 connection with no frames for this long ('60s', the default; '0s' never), as --h2-idle-timeout. */
  h2IdleTimeout?: string;
  /** Time to first token of the AI endpoints, a latency expression ('300ms'), as --ai-ttft. */
  aiTtft?: string;
  /** Inter-token latency of the AI endpoints ('20ms'), as --ai-itl. */
  aiItl?: string;
  /** Context window of the AI endpoints in tokens, as --ai-context. */
  aiContext?: number;
}

// The options above and the table's fixture rows must be the same names: a row added there without its option
// here (or the other way round) fails to compile.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const optionsMatchTable: SameKeys<Exclude<keyof MockUpstreamOptions, 'routes'>, FixtureSettingKey> = true;
void optionsMatchTable;

/** The fixture's own defaults: a free port on loopback, one quiet worker that reads X-Mock-<Name> headers, any engine that runs. */
const FixtureDefaults: MockUpstreamOptions = { port: 0, host: '127.0.0.1', workers: 1, logLevel: 'silent', mockHeaders: true, engine: 'auto' };

/** A running fixture. Always await close() before your process exits. */
export interface MockUpstream {
  readonly url: string;
  readonly port: number;
  /** The HTTP/2 listener's URL (http://host:port: h2c with prior knowledge; https:// with TLS), null without the h2Port option. */
  readonly h2Url: string | null;
  /** The HTTP/2 listener's port, null without the h2Port option. */
  readonly h2Port: number | null;
  /** The engine serving: 'native' (uWebSockets.js) or 'portable' (node:http, on Nodes without the native build). */
  readonly engine: EngineName;
  /** The config in force (its `engine` is the one serving). */
  readonly config: ServerConfig;
  /** Drain in-flight responses (within grace) and stop every worker. */
  close(): Promise<void>;
  /** Add a route (one with the same path and a shared method is replaced); resolves once every worker has it. */
  addRoute(route: RouteConfig): Promise<void>;
  /** Replace every configured route; resolves once every worker has them. */
  setRoutes(routes: RouteConfig[]): Promise<void>;
  /** Back to the routes the server started with. */
  resetRoutes(): Promise<void>;
  /** Remove the configured routes with this exact path (only this method, when given); rejects when none match. */
  removeRoute(path: string, method?: string): Promise<void>;
  /** The journal of every worker in arrival order (needs the journal option), optionally filtered. */
  requests(filter?: JournalFilter): Promise<JournalEntry[]>;
  clearRequests(): Promise<void>;
}

/** A runtime-route or journal call the server refused; `errors` holds each problem with its JSON path. */
export class MockUpstreamError extends Error {
  constructor(readonly status: number, message: string, readonly errors: readonly string[]) {
    super(message);
  }
}

/** Start the server with the given options; resolves once every worker is listening. */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const argv: string[] = [];
  for (const row of SettingRows) {
    if (row.fixture !== true) continue;
    const key = row.key as FixtureSettingKey;
    const value = options[key] ?? FixtureDefaults[key];
    // A switch is its bare flag when true; any other option is the flag and its value as text.
    if (row.value === '') {
      if (value === true) argv.push(`--${row.flag}`);
    } else if (value !== undefined) {
      argv.push(`--${row.flag}`, String(value));
    }
  }
  // The same parser as the CLI, so the API accepts exactly what the flags accept.
  const command = parseCommand(argv, {});
  if (command.kind !== 'serve') throw new Error('unexpected command');
  let config = command.config;
  if (options.routes !== undefined) {
    const errors = checkConfig({ routes: options.routes }, config);
    if (errors.length > 0) throw new ConfigFileError('options.routes', errors);
    // A copy: the config is deep-frozen, and the caller's objects stay theirs to change.
    config = deepFreeze({ ...config, routes: structuredClone(options.routes) });
  }
  const server = await startServer(config, createLogger(config.logLevel));
  const call = async (ask: AdminAsk): Promise<unknown> => {
    const reply = await server.admin(ask);
    const body = JSON.parse(reply.body) as { error?: string; errors?: string[] };
    if (reply.status >= 400) throw new MockUpstreamError(reply.status, body.error ?? `status ${reply.status}`, body.errors ?? []);
    return body;
  };
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port,
    h2Url: server.h2Port === null ? null : `${config.tls ? 'https' : 'http'}://${host}:${server.h2Port}`,
    h2Port: server.h2Port,
    engine: server.engine,
    config: deepFreeze({ ...config, engine: server.engine, workers: server.workers }),
    async close() {
      await server.shutdown();
    },
    async addRoute(route) { await call({ op: 'routes.add', body: route }); },
    async setRoutes(routes) { await call({ op: 'routes.set', body: routes }); },
    async resetRoutes() { await call({ op: 'routes.reset' }); },
    async removeRoute(path, method) { await call({ op: 'routes.remove', path, method: method ?? null }); },
    async requests(filter = {}) { return ((await call({ op: 'journal.get', filter })) as { requests: JournalEntry[] }).requests; },
    async clearRequests() { await call({ op: 'journal.clear' }); },
  };
}

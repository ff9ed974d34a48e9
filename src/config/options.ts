// argv + env (+ the config file) -> one validated, deep-frozen ServerConfig. Every flag, env var and file key
// comes from the settings table in settings.ts; this module picks each setting's source (flags > environment
// variables > the config file's "server" object > defaults), parses it with the table's parser, and checks
// the rules that span settings (TLS pairs, --admin-host needs --admin-port, --addr over --host/--port).
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GrammarError } from '../grammar/errors.js';
import { checkConfig, ConfigFileError, type ConfigFile, type RouteConfig } from './file.js';
import { SettingRows, Settings, type SettingKey, type SettingValue } from './settings.js';
import {
  DefaultGraceMs, DefaultHost, DefaultLogLevel, DefaultMaxBodyBytes, DefaultMaxDelayMs, DefaultMaxSizeBytes, DefaultWsMaxMessageBytes,
  DefaultAiContextTokens, DefaultJournalBodyBytes, DefaultJournalRedact, DefaultPort, AdminPrefix, DefaultH2MaxStreams, DefaultH2WindowBytes, DefaultH2MaxFrameBytes, DefaultH2IdleMs,
  type EngineChoice,
} from './defaults.js';
import { DefaultSaturationElu, DefaultSaturationSeconds } from '../observe/saturation.js';

/** Effective configuration shared (structured-cloned) with every worker thread. */
export interface ServerConfig {
  /**
   * The HTTP engine: as asked (--engine) in a parsed config; the one serving (native or portable) in the
   * config the workers get, once startServer has chosen.
   */
  readonly engine: EngineChoice;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly logLevel: string;
  readonly graceMs: number;
  readonly maxBodyBytes: number;
  readonly maxDelayMs: number;
  readonly maxSizeBytes: number;
  /** Largest WebSocket message a socket takes (--ws-max-message). */
  readonly wsMaxMessageBytes: number;
  /** TLS files; caFile (--tls-ca) makes it mutual TLS. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string | null } | null;
  /** Every data-port connection starts with a PROXY protocol header (--proxy-protocol). */
  readonly proxyProtocol: boolean;
  /** Base seed for every random choice (each worker adds its index); null = unpredictable. */
  readonly seed: number | null;
  /** Whether query/X-Mock request controls are honoured. */
  readonly requestControls: boolean;
  /** Whether X-Mock-<Name> headers are read too (a lookup per control on every request). */
  readonly mockHeaders: boolean;
  /** Whether every controlled-or-plain data response carries Server-Timing: upstream;dur=<ms> (--server-timing). */
  readonly serverTiming: boolean;
  /** Whether the /__mock/* admin endpoints exist at all (--no-admin removes them). */
  readonly admin: boolean;
  /** The admin endpoints' path prefix, with a slash at each end (default /__mock/). */
  readonly adminPrefix: string;
  /** Separate port for the admin endpoints (null: they share the data port). */
  readonly adminPort: number | null;
  /** Interface of the admin listener (--admin-host, else host); null when there is no admin listener (adminPort null). */
  readonly adminHost: string | null;
  /** Configured routes from the config file (validated). */
  readonly routes: readonly RouteConfig[];
  /** The payload folder that body.file refers to. */
  readonly payloadsDir: string;
  /** The config file in use, if any. */
  readonly configFile: string | null;
  /** Server-wide defaults for the controls (a request's own controls win); null = none. */
  readonly defaults: { readonly delay: string | null; readonly status: string | null; readonly close: number; readonly fault: string | null };
  /** Event-loop utilisation (0..1) above which a worker counts as busy. */
  readonly saturationElu: number;
  /** Consecutive busy seconds before the saturation warning. */
  readonly saturationSeconds: number;
  /** Share of requests written to the access log (0 = off). */
  readonly accessLogSample: number;
  /** Requests the journal keeps per worker (0 = off). */
  readonly journal: number;
  /** Body bytes the journal keeps per request. */
  readonly journalBodyBytes: number;
  /** Lower-case header names the journal redacts. */
  readonly journalRedact: readonly string[];
  /** The HTTP/2 listener (--h2-port), null when there is none; TLS (h2 and HTTP/1.1 by ALPN) when `tls` is set. */
  readonly h2: H2Config | null;
  /** The AI endpoints' defaults: TTFT and inter-token latency expressions (--ai-ttft, --ai-itl) and the context window (--ai-context). */
  readonly ai: { readonly ttft: string; readonly itl: string; readonly context: number };
}

/** The HTTP/2 listener's port and SETTINGS, and when its sessions get GOAWAY. */
export interface H2Config {
  readonly port: number;
  readonly maxStreams: number;
  readonly window: number;
  readonly maxFrame: number;
  /** GOAWAY after this many streams per session (0: never). */
  readonly goawayAfterStreams: number;
  /** GOAWAY this long after a session opened (ms; 0: never). */
  readonly goawayAfterMs: number;
  /** GOAWAY a session with no frames for this long (ms; 0: never). */
  readonly idleMs: number;
}

/** What the command line asked for: a server config, a config check, or help/version output. */
export type Command =
  | { readonly kind: 'serve'; readonly config: ServerConfig }
  | { readonly kind: 'check'; readonly file: string; readonly config: ServerConfig }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' };

/** A usage error: the CLI prints it and exits 2. */
export class UsageError extends Error {}

const Subcommands = ['serve', 'upstream', 'check'];

/** Usage text generated from the settings table. */
export function helpText(): string {
  const lines = [
    'Usage: mock-upstream [serve|upstream] [options]',
    '       mock-upstream check FILE   validate a config file without starting (exit 0, or 1 with every error)',
    '       mock-upstream probe URL    measure what a gateway does to a stream (ws:// WebSocket, http:// SSE); see probe --help',
    '',
    'The HTTP upstream for API-gateway benchmarks; `upstream` is the go-bench-suite spelling of `serve`.',
    'Precedence: flags > environment variables > the config file\'s "server" object > defaults.',
    '',
    'Options:',
  ];
  for (const o of SettingRows) {
    const name = `${o.short ? `-${o.short}, ` : '    '}--${o.flag}${o.value ? ` ${o.value}` : ''}`;
    const env = o.env ? ` [env ${o.env}]` : '';
    lines.push(`  ${name.padEnd(30)} ${o.help}${env}`);
  }
  return lines.join('\n');
}

type Values = Record<string, string | boolean | undefined>;

/** Parse argv (without node and script) and env into a Command; throws UsageError on any bad input. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of SettingRows) {
    const type = o.value === '' ? 'boolean' : 'string';
    options[o.flag] = o.short ? { type, short: o.short } : { type };
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'check') {
    if (positionals.length !== 2) throw new UsageError('usage: mock-upstream check FILE');
    return { kind: 'check', file: positionals[1], config: resolveConfig({ ...values, config: positionals[1] }, env) };
  }
  if (positionals.length > 1 || (positionals.length === 1 && !Subcommands.includes(positionals[0]))) {
    throw new UsageError(`unknown command "${positionals.join(' ')}": expected ${Subcommands.join(' or ')} (see --help)`);
  }
  if (values.help) return { kind: 'help', text: helpText() };
  if (values.version) return { kind: 'version' };
  return { kind: 'serve', config: resolveConfig(values, env) };
}

/** A setting's text and where it came from (a flag, an env var or the config file). */
interface Picked {
  readonly text: string;
  readonly source: string;
  readonly fromFile: boolean;
}

/** The three sources of one resolution, highest first. */
class Sources {
  constructor(
    private readonly values: Values,
    private readonly env: NodeJS.ProcessEnv,
    /** The config file's path and its `server` object (null without a file, or when it has none). */
    private readonly file: { readonly path: string; readonly server: Readonly<Record<string, unknown>> } | null,
  ) {}

  /** A setting's flag, else its env var (empty counts as unset), else the config file's value (flags > env > file). */
  pick(key: SettingKey): Picked | undefined {
    const spec = Settings[key];
    const v = this.values[spec.flag];
    if (typeof v === 'string') return { text: v, source: `--${spec.flag}`, fromFile: false };
    const e = spec.env === null ? undefined : this.env[spec.env];
    if (e !== undefined && e !== '' && spec.env !== null) return { text: e, source: spec.env, fromFile: false };
    const f = 'file' in spec && this.file !== null ? this.file.server[key] : undefined;
    if (f !== undefined && this.file !== null) return { text: String(f), source: `${this.file.path} server.${key}`, fromFile: true };
    return undefined;
  }

  /** A switch: on when its flag is given, or its env var is 1, true, yes or on. */
  on(key: SettingKey): boolean {
    const spec = Settings[key];
    if (this.values[spec.flag] === true) return true;
    const e = spec.env === null ? undefined : this.env[spec.env];
    return e !== undefined && ['1', 'true', 'yes', 'on'].includes(e.toLowerCase());
  }

  /** The setting's parsed value, or undefined when no source sets it; a bad value is a usage error naming its source. */
  read<K extends SettingKey>(key: K, context: { readonly maxDelayMs: number } = { maxDelayMs: DefaultMaxDelayMs }): SettingValue<K> | undefined {
    const v = this.pick(key);
    if (v === undefined) return undefined;
    const parse = (Settings[key] as { readonly parse?: (t: string, p: string, c: { readonly maxDelayMs: number }) => unknown }).parse;
    if (parse === undefined) throw new Error(`setting ${key} has no parser`);
    try {
      return parse(v.text, v.source, context) as SettingValue<K>;
    } catch (err) {
      if (err instanceof GrammarError) throw new UsageError(err.message);
      throw err;
    }
  }

  /** As read(), except that a bad value from the config file is undefined: checkConfig reports it with the file's other errors. */
  lenient<K extends SettingKey>(key: K): SettingValue<K> | undefined {
    if (this.pick(key)?.fromFile !== true) return this.read(key);
    try {
      return this.read(key);
    } catch (err) {
      if (err instanceof UsageError) return undefined;
      throw err;
    }
  }
}

/** The shipped payload folder (two levels above dist/src/config). */
const ShippedPayloads = fileURLToPath(new URL('../../../payloads', import.meta.url));

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigFileError(path, [`/: ${(err as Error).message.split('\n')[0]}`]);
  }
}

function resolveConfig(values: Values, env: NodeJS.ProcessEnv): ServerConfig {
  const configFile = new Sources(values, env, null).read('config') ?? null;
  const raw = configFile === null ? null : readJsonFile(configFile);
  const server = raw !== null && typeof raw === 'object' ? (raw as { server?: unknown }).server : undefined;
  const file = configFile !== null && server !== null && typeof server === 'object' && !Array.isArray(server)
    ? { path: configFile, server: server as Record<string, unknown> } : null;
  const s = new Sources(values, env, file);
  // The limits the file is checked against come first. A bad flag or env value among them is a usage error
  // (exit 2); a bad value from the file is reported with the file's other errors below, the default standing in.
  const payloadsDir = s.read('payloads') ?? ShippedPayloads;
  const adminPrefix = s.read('adminPrefix') ?? AdminPrefix;
  const maxDelayMs = s.lenient('maxDelay') ?? DefaultMaxDelayMs;
  const maxSizeBytes = s.lenient('maxSize') ?? DefaultMaxSizeBytes;
  let routes: RouteConfig[] = [];
  if (configFile !== null) {
    const errors = checkConfig(raw, { maxDelayMs, maxSizeBytes, payloadsDir, adminPrefix });
    if (errors.length > 0) throw new ConfigFileError(configFile, errors);
    routes = (raw as ConfigFile).routes ?? [];
  }
  // From here on every value taken from the file is valid (schema and value checks): an error below comes
  // from a flag or an environment variable. The rules that span settings follow.
  const addr = s.read('addr');
  // --addr wins over --host and --port, which are still checked.
  const host = s.read('host');
  const port = s.read('port');
  const listen = { host: addr?.host ?? host ?? DefaultHost, port: addr?.port ?? port ?? DefaultPort };
  const cert = s.read('tlsCert') ?? s.read('goTlsCert');
  const key = s.read('tlsKey') ?? s.read('goTlsKey');
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('TLS needs both --tls-cert and --tls-key (or --tlsCert and --tlsKey)');
  }
  const ca = s.read('tlsCa');
  if (ca !== undefined && cert === undefined) {
    throw new UsageError('--tls-ca (mutual TLS) needs --tls-cert and --tls-key: the server must speak TLS to ask for a client certificate');
  }
  const adminHost = s.pick('adminHost');
  const adminPort = s.read('adminPort') ?? null;
  if (adminHost !== undefined && adminPort === null) {
    throw new UsageError(`${adminHost.source} is the interface of the --admin-port listener, which exists only with --admin-port N (env MOCK_ADMIN_PORT): add it, or drop ${adminHost.source}`);
  }
  const context = { maxDelayMs };
  const h2Port = s.read('h2Port');
  const goawayAfter = s.read('h2GoawayAfter');
  const h2: H2Config | null = h2Port === undefined ? null : {
    port: h2Port,
    maxStreams: s.read('h2MaxStreams') ?? DefaultH2MaxStreams,
    window: s.read('h2Window') ?? DefaultH2WindowBytes,
    maxFrame: s.read('h2MaxFrame') ?? DefaultH2MaxFrameBytes,
    goawayAfterStreams: goawayAfter?.streams ?? 0,
    goawayAfterMs: goawayAfter?.ms ?? 0,
    idleMs: s.read('h2IdleTimeout') ?? DefaultH2IdleMs,
  };
  return deepFreeze<ServerConfig>({
    engine: s.read('engine') ?? 'native',
    admin: !s.on('noAdmin'),
    adminPrefix,
    adminPort,
    adminHost: adminPort === null ? null : adminHost?.text ?? listen.host,
    routes,
    payloadsDir,
    configFile,
    host: listen.host,
    port: listen.port,
    workers: s.read('workers') ?? availableParallelism(),
    logLevel: s.read('logLevel') ?? DefaultLogLevel,
    graceMs: s.read('grace') ?? DefaultGraceMs,
    maxBodyBytes: s.read('maxBody') ?? DefaultMaxBodyBytes,
    maxDelayMs,
    maxSizeBytes,
    wsMaxMessageBytes: s.read('wsMaxMessage') ?? DefaultWsMaxMessageBytes,
    seed: s.read('seed') ?? null,
    requestControls: !s.on('noRequestControls'),
    mockHeaders: s.on('mockHeaders'),
    serverTiming: s.on('serverTiming'),
    defaults: {
      delay: s.read('defaultDelay', context) ?? null,
      status: s.read('defaultStatus') ?? null,
      close: s.read('defaultClose') ?? 0,
      fault: s.read('defaultFault', context) ?? null,
    },
    saturationElu: s.read('saturationElu') ?? DefaultSaturationElu,
    saturationSeconds: s.read('saturationSeconds') ?? DefaultSaturationSeconds,
    accessLogSample: s.on('accessLog') ? s.read('accessLogSample') ?? 1 : 0,
    journal: s.read('journal') ?? 0,
    journalBodyBytes: s.read('journalBody') ?? DefaultJournalBodyBytes,
    journalRedact: s.read('journalRedact') ?? DefaultJournalRedact,
    tls: cert !== undefined && key !== undefined ? { certFile: cert, keyFile: key, caFile: ca ?? null } : null,
    proxyProtocol: s.on('proxyProtocol'),
    h2,
    ai: { ttft: s.read('aiTtft', context) ?? '0ms', itl: s.read('aiItl', context) ?? '0ms', context: s.read('aiContext') ?? DefaultAiContextTokens },
  });
}

/** Freeze value and everything it holds (the config is shared by every module and must not change after boot). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

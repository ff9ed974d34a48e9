// Every flag and environment variable, in one table; argv + env -> a frozen ServerConfig.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { formatDuration } from '../grammar/duration.js';
import { formatSize } from '../grammar/size.js';
import { GrammarError } from '../grammar/errors.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkConfig, ConfigFileError, type ConfigFile, type FileServerSettings, type RouteConfig } from './file.js';
import { SettingParsers } from './settings.js';
import { adminPrefixClash, MaxPathSegments, pathSegments } from '../grammar/route-shape.js';
import {
  DefaultGraceMs, DefaultHost, DefaultLogLevel, DefaultMaxBodyBytes, DefaultMaxDelayMs, DefaultMaxSizeBytes,
  DefaultJournalBodyBytes, DefaultJournalRedact, DefaultPort, MaxJournalEntries, MaxWorkers, AdminPrefix,
} from './defaults.js';
import { DefaultSaturationElu, DefaultSaturationSeconds } from '../observe/saturation.js';

/** Effective configuration shared (structured-cloned) with every worker thread. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly logLevel: string;
  readonly graceMs: number;
  readonly maxBodyBytes: number;
  readonly maxDelayMs: number;
  readonly maxSizeBytes: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Base seed for every random choice (each worker adds its index); null = unpredictable. */
  readonly seed: number | null;
  /** Whether query/X-Mock request controls are honoured. */
  readonly requestControls: boolean;
  /** Whether X-Mock-<Name> headers are read too (a lookup per control on every request). */
  readonly mockHeaders: boolean;
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
  readonly defaults: { readonly delay: string | null; readonly status: string | null; readonly close: number };
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
}

/** What the command line asked for: a server config, a config check, or help/version output. */
export type Command =
  | { readonly kind: 'serve'; readonly config: ServerConfig }
  | { readonly kind: 'check'; readonly file: string; readonly config: ServerConfig }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' };

/** A usage error: the CLI prints it and exits 2. */
export class UsageError extends Error {}

interface OptionSpec {
  readonly flag: string;
  readonly env: string | null;
  readonly type: 'string' | 'boolean';
  readonly value: string;
  readonly help: string;
  readonly short?: string;
  /** go-bench-suite spelling, accepted for drop-in compatibility. */
  readonly compat?: boolean;
}

const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The single table of flags and env vars; --help and the README are made from it. */
export const Options: readonly OptionSpec[] = [
  { flag: 'port', env: 'PORT', type: 'string', value: 'N', help: `TCP port; 0 picks a free one (default ${DefaultPort})`, short: 'p' },
  { flag: 'host', env: 'HOST', type: 'string', value: 'ADDR', help: `interface to listen on (default ${DefaultHost})` },
  { flag: 'workers', env: 'WORKERS', type: 'string', value: 'auto|N', help: 'worker threads, each listening on the port (default auto = available cores)', short: 'w' },
  { flag: 'log-level', env: 'LOG_LEVEL', type: 'string', value: 'LEVEL', help: `${LogLevels.join('|')} (default ${DefaultLogLevel})` },
  { flag: 'grace', env: 'MOCK_GRACE', type: 'string', value: 'DURATION', help: `time in-flight responses get on SIGTERM (default ${formatDuration(DefaultGraceMs)})` },
  { flag: 'max-body', env: 'MOCK_MAX_BODY', type: 'string', value: 'SIZE', help: `largest request body /echo buffers; 413 beyond (default ${formatSize(DefaultMaxBodyBytes)})` },
  { flag: 'max-delay', env: 'MOCK_MAX_DELAY', type: 'string', value: 'DURATION', help: `largest delay a request may ask for; 400 beyond (default ${formatDuration(DefaultMaxDelayMs)})` },
  { flag: 'max-size', env: 'MOCK_MAX_SIZE', type: 'string', value: 'SIZE', help: `largest generated body; 400 beyond (default ${formatSize(DefaultMaxSizeBytes)})` },
  { flag: 'seed', env: 'MOCK_SEED', type: 'string', value: 'N', help: 'make every random choice reproducible (worker i uses N + i)' },
  { flag: 'no-request-controls', env: 'MOCK_NO_REQUEST_CONTROLS', type: 'boolean', value: '', help: 'ignore delay/status/size/header/close query parameters and the X-Mock header' },
  { flag: 'mock-headers', env: 'MOCK_HEADERS', type: 'boolean', value: '', help: 'also read X-Mock-Delay, -Status, -Size, -Header, -Close (5 header lookups per request: for tests, not benchmarks)' },
  { flag: 'admin-port', env: 'MOCK_ADMIN_PORT', type: 'string', value: 'N', help: 'serve /__mock/* on this port only (its own listener); 0 picks a free one' },
  { flag: 'admin-host', env: 'MOCK_ADMIN_HOST', type: 'string', value: 'ADDR', help: 'interface of the --admin-port listener, e.g. 127.0.0.1 (default: same as --host)' },
  { flag: 'admin-prefix', env: 'MOCK_ADMIN_PREFIX', type: 'string', value: 'PATH', help: 'path prefix of the admin endpoints (default /__mock/), e.g. /_mock/ when your API owns /__mock/' },
  { flag: 'no-admin', env: 'MOCK_NO_ADMIN', type: 'boolean', value: '', help: 'remove /__mock/* entirely (health checks included)' },
  { flag: 'config', env: 'MOCK_CONFIG', type: 'string', value: 'FILE', help: 'JSON config file: routes and server settings (see schema/mock-upstream.schema.json)', short: 'c' },
  { flag: 'payloads', env: 'MOCK_PAYLOADS', type: 'string', value: 'DIR', help: 'payload folder for body.file (default: the shipped payloads/)' },
  { flag: 'default-delay', env: 'MOCK_DEFAULT_DELAY', type: 'string', value: 'LATENCY', help: 'delay every data response (any latency expression); a request\'s delay control wins' },
  { flag: 'default-status', env: 'MOCK_DEFAULT_STATUS', type: 'string', value: 'CODES', help: 'status of every data response, e.g. 503:5 (5 % 503s); a request\'s status control wins' },
  { flag: 'default-close', env: 'MOCK_DEFAULT_CLOSE', type: 'string', value: 'PERCENT', help: 'percent of data responses sent with Connection: close' },
  { flag: 'access-log', env: 'MOCK_ACCESS_LOG', type: 'boolean', value: '', help: 'log requests (pino JSON on stdout); costs nothing when off' },
  { flag: 'access-log-sample', env: 'MOCK_ACCESS_LOG_SAMPLE', type: 'string', value: '0..1', help: 'share of requests the access log records (default 1)' },
  { flag: 'journal', env: 'MOCK_JOURNAL', type: 'string', value: 'N', help: 'keep the last N requests per worker for GET /__mock/requests (default 0 = off, free)' },
  { flag: 'journal-body', env: 'MOCK_JOURNAL_BODY', type: 'string', value: 'SIZE', help: `request body bytes the journal keeps per request (default ${formatSize(DefaultJournalBodyBytes)})` },
  { flag: 'journal-redact', env: 'MOCK_JOURNAL_REDACT', type: 'string', value: 'LIST', help: `headers the journal redacts, comma-separated, or none (default ${DefaultJournalRedact.join(',')})` },
  { flag: 'saturation-elu', env: 'MOCK_SATURATION_ELU', type: 'string', value: '0..1', help: `event-loop utilisation that counts as saturated (default ${DefaultSaturationElu})` },
  { flag: 'saturation-seconds', env: 'MOCK_SATURATION_SECONDS', type: 'string', value: 'N', help: `busy seconds in a row before the saturation warning (default ${DefaultSaturationSeconds})` },
  { flag: 'tls-cert', env: 'MOCK_TLS_CERT', type: 'string', value: 'FILE', help: 'PEM certificate: serve HTTPS (with --tls-key)' },
  { flag: 'tls-key', env: 'MOCK_TLS_KEY', type: 'string', value: 'FILE', help: 'PEM private key for --tls-cert' },
  { flag: 'addr', env: null, type: 'string', value: '[HOST]:PORT', help: 'go-bench-suite listen address, e.g. :8000', compat: true },
  { flag: 'tlsCert', env: null, type: 'string', value: 'FILE', help: 'go-bench-suite spelling of --tls-cert', compat: true },
  { flag: 'tlsKey', env: null, type: 'string', value: 'FILE', help: 'go-bench-suite spelling of --tls-key', compat: true },
  { flag: 'help', env: null, type: 'boolean', value: '', help: 'print this help and exit', short: 'h' },
  { flag: 'version', env: null, type: 'boolean', value: '', help: 'print the version and exit', short: 'v' },
];

const Subcommands = ['serve', 'upstream', 'check'];

/** Usage text generated from the option table. */
export function helpText(): string {
  const lines = [
    'Usage: mock-upstream [serve|upstream] [options]',
    '       mock-upstream check FILE   validate a config file without starting (exit 0, or 1 with every error)',
    '',
    'The HTTP upstream for API-gateway benchmarks; `upstream` is the go-bench-suite spelling of `serve`.',
    'Precedence: flags > environment variables > the config file\'s "server" object > defaults.',
    '',
    'Options:',
  ];
  for (const o of Options) {
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
  for (const o of Options) options[o.flag] = o.short ? { type: o.type, short: o.short } : { type: o.type };
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

/** Flag name -> key in the config file's "server" object (every key the schema allows there). */
export const FileKeys: Readonly<Record<string, keyof FileServerSettings>> = {
  port: 'port', host: 'host', workers: 'workers', 'log-level': 'logLevel', grace: 'grace', 'max-body': 'maxBody',
  'max-delay': 'maxDelay', 'max-size': 'maxSize', seed: 'seed', 'default-delay': 'defaultDelay', 'default-status': 'defaultStatus',
  'default-close': 'defaultClose', journal: 'journal', 'journal-body': 'journalBody', 'journal-redact': 'journalRedact',
};

/** A setting's text and where it came from (a flag, an env var or the config file). */
interface Picked {
  readonly text: string;
  readonly source: string;
  readonly fromFile: boolean;
}

// The config file's server settings for this resolution (set by resolveConfig before any pick()).
let fileServer: { file: string; settings: FileServerSettings } | null = null;

/** A flag's value, else its env var, else the config file's, else undefined (flags > env > file > defaults). */
function pick(values: Values, env: NodeJS.ProcessEnv, flag: string): Picked | undefined {
  const v = values[flag];
  if (typeof v === 'string') return { text: v, source: `--${flag}`, fromFile: false };
  const spec = Options.find((o) => o.flag === flag);
  const e = spec?.env ? env[spec.env] : undefined;
  if (e !== undefined && e !== '' && spec?.env) return { text: e, source: spec.env, fromFile: false };
  const key = FileKeys[flag];
  const f = key !== undefined && fileServer !== null ? fileServer.settings[key] : undefined;
  if (f !== undefined) return { text: String(f), source: `${fileServer?.file} server.${key}`, fromFile: true };
  return undefined;
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
  const configFile = pick(values, env, 'config')?.text ?? null;
  const raw = configFile === null ? null : readJsonFile(configFile);
  const server = raw !== null && typeof raw === 'object' ? (raw as { server?: unknown }).server : undefined;
  fileServer = configFile !== null && server !== null && typeof server === 'object' ? { file: configFile, settings: server as FileServerSettings } : null;
  try {
    return finishConfig(values, env, configFile, raw);
  } finally {
    fileServer = null;
  }
}

function finishConfig(values: Values, env: NodeJS.ProcessEnv, configFile: string | null, raw: unknown): ServerConfig {
  // The limits the file is checked against come first. A bad flag or env value among them is a usage error
  // (exit 2); a bad value from the file is reported with the file's other errors below, the default standing in.
  const payloadsDir = pick(values, env, 'payloads')?.text ?? ShippedPayloads;
  const adminPrefix = parseAdminPrefix(pick(values, env, 'admin-prefix'));
  const maxDelayMs = limit(pick(values, env, 'max-delay'), DefaultMaxDelayMs, SettingParsers.maxDelay);
  const maxSizeBytes = limit(pick(values, env, 'max-size'), DefaultMaxSizeBytes, SettingParsers.maxSize);
  let routes: RouteConfig[] = [];
  if (configFile !== null) {
    const errors = checkConfig(raw, { maxDelayMs, maxSizeBytes, payloadsDir, adminPrefix });
    if (errors.length > 0) throw new ConfigFileError(configFile, errors);
    routes = (raw as ConfigFile).routes ?? [];
  }
  // From here on every value taken from the file is valid (schema and value checks): an error below comes
  // from a flag or an environment variable.
  let host = pick(values, env, 'host')?.text ?? DefaultHost;
  let port = parsePort(pick(values, env, 'port'));
  const addr = values.addr;
  if (typeof addr === 'string') {
    // go-bench-suite's --addr is Go's net.Listen form: "[host]:port".
    const colon = addr.lastIndexOf(':');
    if (colon < 0) throw new UsageError(`invalid --addr "${addr}": use [HOST]:PORT, e.g. :8000 or 127.0.0.1:8000`);
    const h = addr.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    if (h !== '') host = h;
    port = parsePort({ text: addr.slice(colon + 1), source: '--addr', fromFile: false });
  }
  const cert = pick(values, env, 'tls-cert')?.text ?? (values.tlsCert as string | undefined);
  const key = pick(values, env, 'tls-key')?.text ?? (values.tlsKey as string | undefined);
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('TLS needs both --tls-cert and --tls-key (or --tlsCert and --tlsKey)');
  }
  const logLevel = pick(values, env, 'log-level')?.text ?? DefaultLogLevel;
  if (!LogLevels.includes(logLevel)) {
    throw new UsageError(`invalid log level "${logLevel}": use one of ${LogLevels.join(', ')}`);
  }
  const adminPortText = pick(values, env, 'admin-port');
  const adminHostText = pick(values, env, 'admin-host');
  if (adminHostText !== undefined && adminPortText === undefined) {
    throw new UsageError(`${adminHostText.source} is the interface of the --admin-port listener, which exists only with --admin-port N (env MOCK_ADMIN_PORT): add it, or drop ${adminHostText.source}`);
  }
  const adminPort = adminPortText === undefined ? null : parsePort(adminPortText);
  const context = { maxDelayMs };
  return Object.freeze({
    admin: !(values['no-admin'] === true || isTrue(env.MOCK_NO_ADMIN)),
    adminPrefix,
    adminPort,
    adminHost: adminPort === null ? null : adminHostText?.text ?? host,
    routes,
    payloadsDir,
    configFile,
    host,
    port,
    workers: parseWorkers(pick(values, env, 'workers')),
    logLevel,
    graceMs: grammar(pick(values, env, 'grace'), DefaultGraceMs, SettingParsers.grace),
    maxBodyBytes: grammar(pick(values, env, 'max-body'), DefaultMaxBodyBytes, SettingParsers.maxBody),
    maxDelayMs,
    maxSizeBytes,
    seed: parseSeed(pick(values, env, 'seed')),
    requestControls: !(values['no-request-controls'] === true || isTrue(env.MOCK_NO_REQUEST_CONTROLS)),
    mockHeaders: values['mock-headers'] === true || isTrue(env.MOCK_HEADERS),
    defaults: {
      delay: grammar<string | null>(pick(values, env, 'default-delay'), null, (t, p) => SettingParsers.defaultDelay(t, p, context)),
      status: grammar<string | null>(pick(values, env, 'default-status'), null, SettingParsers.defaultStatus),
      close: grammar(pick(values, env, 'default-close'), 0, SettingParsers.defaultClose),
    },
    saturationElu: parseFraction(pick(values, env, 'saturation-elu'), DefaultSaturationElu),
    saturationSeconds: parseCount(pick(values, env, 'saturation-seconds'), DefaultSaturationSeconds, 1, 3600),
    accessLogSample: values['access-log'] === true || isTrue(env.MOCK_ACCESS_LOG)
      ? parseFraction(pick(values, env, 'access-log-sample'), 1) : 0,
    journal: parseCount(pick(values, env, 'journal'), 0, 0, MaxJournalEntries),
    journalBodyBytes: grammar(pick(values, env, 'journal-body'), DefaultJournalBodyBytes, SettingParsers.journalBody),
    journalRedact: grammar<readonly string[]>(pick(values, env, 'journal-redact'), DefaultJournalRedact, SettingParsers.journalRedact),
    tls: cert !== undefined && key !== undefined ? Object.freeze({ certFile: cert, keyFile: key }) : null,
  });
}

/** Longest --admin-prefix (characters): a prefix is a short reserved path, and each admin route repeats it. */
const MaxAdminPrefixLength = 256;

/**
 * "/x/" from "/x/" or "/x": path segments of URL-safe characters, slashes added at the ends. It must not
 * overlap a built-in route (the admin side takes every path below the prefix; uWS aborts the process when
 * `${prefix}*` is a built-in wildcard such as /anything/*), and its routes must stay within uWS's limits.
 */
function parseAdminPrefix(v: Picked | undefined): string {
  if (v === undefined) return AdminPrefix;
  const text = v.text.endsWith('/') ? v.text : `${v.text}/`;
  if (!/^(\/[A-Za-z0-9._~-]+)+\/$/.test(text)) {
    throw new UsageError(`invalid ${v.source} "${v.text}": use a path such as /__mock/ or /_admin (letters, digits, . _ ~ - between slashes)`);
  }
  // The admin routes add up to two segments below the prefix (test/crash); the prefix's own trailing "/" counts as one.
  if (text.length > MaxAdminPrefixLength || pathSegments(text).length > MaxPathSegments - 1) {
    throw new UsageError(`invalid ${v.source}: at most ${MaxAdminPrefixLength} characters and ${MaxPathSegments - 2} segments (uWS matches on the first ${MaxPathSegments} of a path)`);
  }
  const clash = adminPrefixClash(text);
  if (clash !== null) {
    throw new UsageError(`invalid ${v.source} "${v.text}": it overlaps the built-in route ${clash} (the admin endpoints take every path under ${text}): choose a prefix of your own, such as /_mock/`);
  }
  return text;
}

/** A grammar setting's value, or dflt when unset; a bad value is a usage error naming its source. */
function grammar<T>(v: Picked | undefined, dflt: T, parse: (t: string, p: string) => T): T {
  if (v === undefined) return dflt;
  try {
    return parse(v.text, v.source);
  } catch (err) {
    if (err instanceof GrammarError) throw new UsageError(err.message);
    throw err;
  }
}

/** As grammar(), except that a bad value from the config file yields dflt: checkConfig reports it with the file's other errors. */
function limit(v: Picked | undefined, dflt: number, parse: (t: string, p: string) => number): number {
  if (v?.fromFile !== true) return grammar(v, dflt, parse);
  try {
    return parse(v.text, v.source);
  } catch (err) {
    if (err instanceof GrammarError) return dflt;
    throw err;
  }
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

function parseFraction(v: Picked | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v.text);
  if (v.text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`invalid value "${v.text}" for ${v.source}: use a number from 0 to 1, e.g. 0.85`);
  }
  return n;
}

function parseCount(v: Picked | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v.text);
  if (!/^\d{1,7}$/.test(v.text) || n < min || n > max) {
    throw new UsageError(`invalid value "${v.text}" for ${v.source}: use a whole number from ${min} to ${max}`);
  }
  return n;
}

function parseSeed(v: Picked | undefined): number | null {
  if (v === undefined) return null;
  if (!/^\d{1,9}$/.test(v.text)) throw new UsageError(`invalid seed "${v.text}" for ${v.source}: use a whole number from 0 to 999999999`);
  return Number(v.text);
}

function parsePort(v: Picked | undefined): number {
  if (v === undefined) return DefaultPort;
  const n = Number(v.text);
  if (!/^\d+$/.test(v.text) || n > 65535) {
    throw new UsageError(`invalid port "${v.text}" for ${v.source}: use an integer from 0 to 65535 (0 picks a free port)`);
  }
  return n;
}

function parseWorkers(v: Picked | undefined): number {
  if (v === undefined || v.text === 'auto') return availableParallelism();
  const n = Number(v.text);
  if (!/^\d+$/.test(v.text) || n < 1 || n > MaxWorkers) {
    throw new UsageError(`invalid worker count "${v.text}" for ${v.source}: use auto or an integer from 1 to ${MaxWorkers}`);
  }
  return n;
}

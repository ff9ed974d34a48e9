// The one table of server settings. Each row says, once, everything about a setting: its flag (and short
// flag), its environment variable, its --help line, its value parser with its bounds, whether the config
// file's `server` object may set it (and that property's JSON Schema), and whether startMockUpstream takes it
// as an option. The flag parser, env reading, --help, the config file's `server` checks, the schema the
// file is validated with and the fixture's option-to-flag mapping are all made from it; the shipped
// schema/mock-upstream.schema.json and docs/configuration.md are checked against it by
// test/config/readme-reference.test.ts. To add a setting: add a row here, then its field in ServerConfig
// (options.ts) and the line that fills it in resolveConfig, then the docs table row (the test says what).
//
// A parser takes the value as text (a file's JSON number arrives as its String()) and the name of where it
// came from, for the message; a rejected value throws GrammarError, which the caller turns into a usage
// error (flag, env: exit 2) or a config-file error at its JSON path (`/server/grace: ...`, exit 1).
import { availableParallelism } from 'node:os';
import { parseLatency, parseStatusChoice } from '../grammar/distribution.js';
import { formatDuration, parseDuration } from '../grammar/duration.js';
import { GrammarError, quoteValue } from '../grammar/errors.js';
import { parseBoundedInt, type IntegerBounds } from '../grammar/integer.js';
import { parsePercent } from '../grammar/percent.js';
import { adminPrefixClash, MaxPathSegments, pathSegments } from '../grammar/route-shape.js';
import { formatSize, parseSize } from '../grammar/size.js';
import { DefaultSaturationElu, DefaultSaturationSeconds } from '../observe/saturation.js';
import {
  AdminPrefix, DefaultGraceMs, DefaultHost, DefaultJournalBodyBytes, DefaultJournalRedact, DefaultLogLevel,
  DefaultAiContextTokens, DefaultMaxBodyBytes, DefaultMaxDelayMs, DefaultMaxSizeBytes, DefaultPort, DefaultH2MaxStreams, DefaultH2WindowBytes, DefaultH2MaxFrameBytes, DefaultH2IdleMs, DefaultWsMaxMessageBytes, MaxWsMessageBytes, EngineChoices, HeaderToken, MaxJournalEntries, MaxWorkers,
  type EngineChoice,
} from './defaults.js';
import { parseFaultChoice } from '../grammar/fault.js';

/** Longest --grace and --max-delay (ms). */
export const MaxSettingDurationMs = 24 * 3600_000;
/** Longest --admin-prefix (characters): a prefix is a short reserved path, and each admin route repeats it. */
const MaxAdminPrefixLength = 256;

/** What a setting's value may depend on: the effective --max-delay caps --default-delay. */
export interface SettingContext {
  readonly maxDelayMs: number;
}

/** A setting's parser: the value as text and where it came from (for the message); throws GrammarError. */
export type SettingParser<T> = (text: string, param: string, context: SettingContext) => T;

/** A JSON Schema fragment (one property of the config file's `server` object). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One row of the settings table (see the top of this file). */
export interface SettingSpec {
  /** Long flag, without the dashes. */
  readonly flag: string;
  readonly short?: string;
  /** Environment variable, or null when only the flag exists. */
  readonly env: string | null;
  /** Value placeholder in --help and the docs; '' for a switch (a flag without a value). */
  readonly value: string;
  /** The --help line; "(default X)" in it is checked against the docs. */
  readonly help: string;
  /** Reads a value (absent for switches and for help/version). */
  readonly parse?: SettingParser<unknown>;
  /** The JSON Schema of `server.<key>` when the config file may set this setting (key = the row's key). */
  readonly file?: JsonSchema;
  /** startMockUpstream takes it as an option named by the row's key and passes it on as the flag. */
  readonly fixture?: true;
  /** A go-bench-suite spelling, accepted for drop-in compatibility. */
  readonly compat?: true;
}

/** The log levels pino knows, in order. */
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const PortBounds: IntegerBounds = { min: 0, max: 65535, what: 'port', note: '(0 picks a free port)' };
const WorkerBounds: IntegerBounds = { min: 1, max: MaxWorkers, what: 'worker count', or: 'auto' };
const SeedBounds: IntegerBounds = { min: 0, max: 999_999_999, what: 'seed' };
const JournalBounds: IntegerBounds = { min: 0, max: MaxJournalEntries };
const SaturationSecondsBounds: IntegerBounds = { min: 1, max: 3600 };

// HTTP/2 SETTINGS bounds (RFC 9113 6.5.2): the stream limit and window fit 31 bits, the frame size is 2^14..2^24-1.
const H2StreamsBounds: IntegerBounds = { min: 1, max: 2 ** 31 - 1, what: 'stream limit' };
const H2WindowBounds: IntegerBounds = { min: 0, max: 2 ** 31 - 1, what: 'window size' };
const H2FrameBounds: IntegerBounds = { min: 16_384, max: 2 ** 24 - 1, what: 'frame size' };
const AiContextBounds: IntegerBounds = { min: 1, max: 100_000_000, what: 'token count' };
const H2GoawayStreamsBounds: IntegerBounds = { min: 1, max: 2 ** 31 - 1, what: 'stream count', or: 'a duration' };

/** When every HTTP/2 session gets its GOAWAY: after this many streams, or this long after it opened. */
export type GoawayAfter = { readonly streams: number; readonly ms: 0 } | { readonly streams: 0; readonly ms: number };

/** --h2-goaway-after: a whole number is a stream count, anything else a duration (10s, 1m). */
function parseGoawayAfter(t: string, p: string): GoawayAfter {
  if (/^[0-9]+$/.test(t)) return { streams: parseBoundedInt(t, p, H2GoawayStreamsBounds), ms: 0 };
  const ms = parseDuration(t, p, MaxSettingDurationMs);
  if (ms <= 0) throw new GrammarError(p, `invalid ${p} ${quoteValue(t)}: use a stream count or a duration above 0, e.g. 1000 or 30s`);
  return { streams: 0, ms };
}

/** JSON Schema of an integer setting, its range from the bounds its parser uses. */
function integer(bounds: IntegerBounds, description: string): JsonSchema {
  return { type: 'integer', minimum: bounds.min, maximum: bounds.max, description };
}

const text: SettingParser<string> = (t) => t;

function parsePort(t: string, p: string): number {
  return parseBoundedInt(t, p, PortBounds);
}

function parseWorkers(t: string, p: string): number {
  return t === 'auto' ? availableParallelism() : parseBoundedInt(t, p, WorkerBounds);
}

function parseLogLevel(t: string, p: string): string {
  if (!(LogLevels as readonly string[]).includes(t)) {
    throw new GrammarError(p, `invalid log level ${quoteValue(t)} for ${p}: use one of ${LogLevels.join(', ')}`);
  }
  return t;
}

function parseEngine(t: string, p: string): EngineChoice {
  if (!(EngineChoices as readonly string[]).includes(t)) {
    throw new GrammarError(p, `invalid engine ${quoteValue(t)} for ${p}: use one of ${EngineChoices.join(', ')}`);
  }
  return t as EngineChoice;
}

/** A number from 0 to 1 (a share or a utilisation). */
function parseFraction(t: string, p: string): number {
  const n = Number(t);
  if (t.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new GrammarError(p, `invalid value ${quoteValue(t)} for ${p}: use a number from 0 to 1, e.g. 0.85`);
  }
  return n;
}

/** go-bench-suite's --addr, Go's net.Listen form "[host]:port"; host null when only the port is given. */
function parseAddr(t: string, p: string): { readonly host: string | null; readonly port: number } {
  const colon = t.lastIndexOf(':');
  if (colon < 0) throw new GrammarError(p, `invalid ${p} ${quoteValue(t)}: use [HOST]:PORT, e.g. :8000 or 127.0.0.1:8000`);
  const host = t.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? null : host, port: parsePort(t.slice(colon + 1), p) };
}

/**
 * "/x/" from "/x/" or "/x": path segments of URL-safe characters, slashes added at the ends. It must not
 * overlap a built-in route (the admin side takes every path below the prefix; uWS aborts the process when
 * `${prefix}*` is a built-in wildcard such as /anything/*), and its routes must stay within uWS's limits.
 */
function parseAdminPrefix(t: string, p: string): string {
  const prefix = t.endsWith('/') ? t : `${t}/`;
  if (!/^(\/[A-Za-z0-9._~-]+)+\/$/.test(prefix)) {
    throw new GrammarError(p, `invalid ${p} ${quoteValue(t)}: use a path such as /__mock/ or /_admin (letters, digits, . _ ~ - between slashes)`);
  }
  // The admin routes add up to two segments below the prefix (test/crash); the prefix's own trailing "/" counts as one.
  if (prefix.length > MaxAdminPrefixLength || pathSegments(prefix).length > MaxPathSegments - 1) {
    throw new GrammarError(p, `invalid ${p}: at most ${MaxAdminPrefixLength} characters and ${MaxPathSegments - 2} segments (uWS matches on the first ${MaxPathSegments} of a path)`);
  }
  const clash = adminPrefixClash(prefix);
  if (clash !== null) {
    throw new GrammarError(p, `invalid ${p} ${quoteValue(t)}: it overlaps the built-in route ${clash} (the admin endpoints take every path under ${prefix}): choose a prefix of your own, such as /_mock/`);
  }
  return prefix;
}

/** Header names the journal redacts: comma-separated, or `none` for none. */
function parseHeaderList(t: string, p: string): readonly string[] {
  if (t.trim().toLowerCase() === 'none') return [];
  const names = t.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const bad = names.find((h) => !HeaderToken.test(h));
  if (bad !== undefined || names.length === 0) {
    throw new GrammarError(p, `invalid header list ${quoteValue(t)} for ${p}: use comma-separated header names (e.g. authorization,cookie) or none`);
  }
  return names;
}

/**
 * The settings table, keyed by the config-file / fixture-option name (camelCase of the flag), in --help
 * order. The latency and status expressions are only checked here; workers compile their own copy.
 */
export const Settings = {
  port: {
    flag: 'port', short: 'p', env: 'PORT', value: 'N', help: `TCP port; 0 picks a free one (default ${DefaultPort})`, parse: parsePort, fixture: true,
    file: integer(PortBounds, 'TCP port to listen on; 0 picks a free one (printed in the listening log line). Default 8000. Flag --port, env PORT.'),
  },
  host: {
    flag: 'host', env: 'HOST', value: 'ADDR', help: `interface to listen on (default ${DefaultHost})`, parse: text, fixture: true,
    file: { type: 'string', description: 'Interface (address) to listen on. Default 0.0.0.0, every interface. Flag --host, env HOST.' },
  },
  engine: {
    flag: 'engine', env: 'MOCK_ENGINE', value: 'native|portable|auto', fixture: true, parse: parseEngine,
    help: 'HTTP engine: native uWebSockets.js; portable node:http (any Node, about half the throughput); auto = native where it loads, else portable, as startMockUpstream does (default native)',
    file: { enum: [...EngineChoices], description: 'HTTP engine: "native" (the default) is uWebSockets.js and refuses to start where its build does not load (Node 22 and later); "portable" is node:http on any Node, at about half the throughput; "auto" is native where it loads, else portable. The engine in use is in the listening log line and /__mock/stats. Flag --engine, env MOCK_ENGINE.' },
  },
  workers: {
    flag: 'workers', short: 'w', env: 'WORKERS', value: 'auto|N', help: 'worker threads, each listening on the port (default auto = available cores)', parse: parseWorkers, fixture: true,
    file: {
      oneOf: [{ const: 'auto' }, { type: 'integer', minimum: WorkerBounds.min, maximum: WorkerBounds.max }],
      description: `Worker threads, each listening on the port: "auto" (the default) starts one per available core, or a number from ${WorkerBounds.min} to ${WorkerBounds.max}. Flag --workers, env WORKERS.`,
    },
  },
  logLevel: {
    flag: 'log-level', env: 'LOG_LEVEL', value: 'LEVEL', help: `${LogLevels.join('|')} (default ${DefaultLogLevel})`, parse: parseLogLevel, fixture: true,
    file: { enum: [...LogLevels], description: 'Lowest level of the server\'s own log lines (pino JSON on stdout); silent logs nothing. Default info. Flag --log-level, env LOG_LEVEL.' },
  },
  grace: {
    flag: 'grace', env: 'MOCK_GRACE', value: 'DURATION', help: `time in-flight responses get on SIGTERM (default ${formatDuration(DefaultGraceMs)})`, fixture: true,
    parse: (t, p) => parseDuration(t, p, MaxSettingDurationMs),
    file: { type: 'string', description: 'Time in-flight responses get to finish on SIGTERM or SIGINT before they are cut, a duration such as 5s (the default). Flag --grace, env MOCK_GRACE.' },
  },
  maxBody: {
    flag: 'max-body', env: 'MOCK_MAX_BODY', value: 'SIZE', help: `largest request body /echo buffers; 413 beyond (default ${formatSize(DefaultMaxBodyBytes)})`, fixture: true,
    parse: (t, p) => parseSize(t, p, 2 ** 32),
    file: { type: 'string', description: 'Largest request body the server buffers (/echo, /__mock/routes), a size such as 16MiB (the default); a larger body is answered 413. Flag --max-body, env MOCK_MAX_BODY.' },
  },
  maxDelay: {
    flag: 'max-delay', env: 'MOCK_MAX_DELAY', value: 'DURATION', help: `largest delay a request may ask for; 400 beyond (default ${formatDuration(DefaultMaxDelayMs)})`, fixture: true,
    parse: (t, p) => parseDuration(t, p, MaxSettingDurationMs),
    file: { type: 'string', description: 'Largest delay a request, route or default may ask for, a duration such as 5m (the default); a request over it is answered 400, a route over it is a config error. Flag --max-delay, env MOCK_MAX_DELAY.' },
  },
  maxSize: {
    flag: 'max-size', env: 'MOCK_MAX_SIZE', value: 'SIZE', help: `largest generated body; 400 beyond (default ${formatSize(DefaultMaxSizeBytes)})`, fixture: true,
    parse: (t, p) => parseSize(t, p, 2 ** 40),
    file: { type: 'string', description: 'Largest generated body (/size, /bytes, size= controls, body.size), a size such as 256MiB (the default); a request over it is answered 400. Flag --max-size, env MOCK_MAX_SIZE.' },
  },
  wsMaxMessage: {
    flag: 'ws-max-message', env: 'MOCK_WS_MAX_MESSAGE', value: 'SIZE', help: `largest WebSocket message a socket takes (default ${formatSize(DefaultWsMaxMessageBytes)}); max-message= lowers it per socket (close 1009)`, fixture: true,
    parse: (t, p) => parseSize(t, p, MaxWsMessageBytes),
    file: { type: 'string', description: `Largest WebSocket message a socket takes, a size such as 1MiB (the default), at most 64MiB: a larger one ends the connection (uWS drops it without a close frame); a max-message control lowers it per socket and closes with 1009. It also caps /ws/stream's size. Flag --ws-max-message, env MOCK_WS_MAX_MESSAGE.` },
  },
  seed: {
    flag: 'seed', env: 'MOCK_SEED', value: 'N', help: 'make every random choice reproducible (worker i uses N + i)', fixture: true,
    parse: (t, p) => parseBoundedInt(t, p, SeedBounds),
    file: integer(SeedBounds, 'Makes every random choice (weighted picks, distributions, close percentages) reproducible: worker i draws from seed + i. Default: unseeded. Flag --seed, env MOCK_SEED.'),
  },
  noRequestControls: { flag: 'no-request-controls', env: 'MOCK_NO_REQUEST_CONTROLS', value: '', help: 'ignore delay/status/size/header/close query parameters and the X-Mock header' },
  mockHeaders: { flag: 'mock-headers', env: 'MOCK_HEADERS', value: '', help: 'also read X-Mock-Delay, -Status, -Size, -Header, -Close, -Goaway, -Fault, -Trailer (8 header lookups per request: for tests, not benchmarks)', fixture: true },
  serverTiming: { flag: 'server-timing', env: 'MOCK_SERVER_TIMING', value: '', help: 'add Server-Timing: upstream;dur=<ms> (arrival to head, delays included) to every data response; a request asks with server-timing=on' },
  adminPort: { flag: 'admin-port', env: 'MOCK_ADMIN_PORT', value: 'N', help: 'serve /__mock/* on this port only (its own listener); 0 picks a free one', parse: parsePort },
  adminHost: { flag: 'admin-host', env: 'MOCK_ADMIN_HOST', value: 'ADDR', help: 'interface of the --admin-port listener, e.g. 127.0.0.1 (default: same as --host)', parse: text },
  adminPrefix: { flag: 'admin-prefix', env: 'MOCK_ADMIN_PREFIX', value: 'PATH', help: `path prefix of the admin endpoints (default ${AdminPrefix}), e.g. /_mock/ when your API owns ${AdminPrefix}`, parse: parseAdminPrefix, fixture: true },
  noAdmin: { flag: 'no-admin', env: 'MOCK_NO_ADMIN', value: '', help: 'remove /__mock/* entirely (health checks included)' },
  config: { flag: 'config', short: 'c', env: 'MOCK_CONFIG', value: 'FILE', help: 'JSON config file: routes and server settings (see schema/mock-upstream.schema.json)', parse: text, fixture: true },
  payloads: { flag: 'payloads', env: 'MOCK_PAYLOADS', value: 'DIR', help: 'payload folder for body.file (default: the shipped payloads/)', parse: text, fixture: true },
  defaultDelay: {
    flag: 'default-delay', env: 'MOCK_DEFAULT_DELAY', value: 'LATENCY', help: 'delay every data response (any latency expression); a request\'s delay control wins',
    parse: (t, p, c) => { parseLatency(t, p, c.maxDelayMs); return t; },
    file: { type: 'string', description: 'Delay of every data response unless the request or its configured route sets one: any latency expression, e.g. 20ms, 10ms:50,100ms:10, uniform(10ms,50ms), lognormal(p50=20ms,p99=200ms). Default: none. Flag --default-delay, env MOCK_DEFAULT_DELAY.' },
  },
  defaultStatus: {
    flag: 'default-status', env: 'MOCK_DEFAULT_STATUS', value: 'CODES', help: 'status of every data response, e.g. 503:5 (5 % 503s); a request\'s status control wins',
    parse: (t, p) => { parseStatusChoice(t, p); return t; },
    file: { type: ['string', 'integer'], description: 'Status of every data response unless the request or its configured route sets one: a code, or weighted codes such as "503:5" (5 % 503, the rest 200). Default: none. Flag --default-status, env MOCK_DEFAULT_STATUS.' },
  },
  defaultClose: {
    flag: 'default-close', env: 'MOCK_DEFAULT_CLOSE', value: 'PERCENT', help: 'percent of data responses sent with Connection: close', parse: (t, p) => parsePercent(t, p),
    file: { type: 'number', minimum: 0, maximum: 100, description: 'Percent (0 to 100) of data responses sent with Connection: close unless the request or its configured route sets its own close. Default 0. Flag --default-close, env MOCK_DEFAULT_CLOSE.' },
  },
  defaultFault: {
    flag: 'default-fault', env: 'MOCK_DEFAULT_FAULT', value: 'FAULTS', help: 'faults served instead of data responses, e.g. reset:1,truncate(100):1 (docs/faults.md); a request\'s fault control wins',
    parse: (t, p, c) => { parseFaultChoice(t, p, c.maxDelayMs); return t; },
    file: { type: 'string', description: 'Faults served instead of data responses unless the request or its configured route sets its own fault: reset, empty, garbage, truncate(SIZE), malformed-chunk, hang, slow-headers(DURATION), slow-body(SIZE), big-headers(SIZE), weighted like status, e.g. "reset:1,truncate(100):1" (1 % each, the rest answered). Default: none. Flag --default-fault, env MOCK_DEFAULT_FAULT.' },
  },
  accessLog: { flag: 'access-log', env: 'MOCK_ACCESS_LOG', value: '', help: 'log requests (pino JSON on stdout); costs nothing when off' },
  accessLogSample: { flag: 'access-log-sample', env: 'MOCK_ACCESS_LOG_SAMPLE', value: '0..1', help: 'share of requests the access log records (default 1)', parse: parseFraction },
  journal: {
    flag: 'journal', env: 'MOCK_JOURNAL', value: 'N', help: 'keep the last N requests per worker for GET /__mock/requests (default 0 = off, free)', fixture: true,
    parse: (t, p) => parseBoundedInt(t, p, JournalBounds),
    file: integer(JournalBounds, 'Requests each worker keeps for GET /__mock/requests (the request journal), the last N; 0 (the default) turns the journal off. Flag --journal, env MOCK_JOURNAL.'),
  },
  journalBody: {
    flag: 'journal-body', env: 'MOCK_JOURNAL_BODY', value: 'SIZE', help: `request body bytes the journal keeps per request (default ${formatSize(DefaultJournalBodyBytes)})`, fixture: true,
    parse: (t, p) => parseSize(t, p, 2 ** 30),
    file: { type: 'string', description: 'Request body bytes the journal keeps per request, a size such as 64KiB (the default); the rest is counted, not kept. Flag --journal-body, env MOCK_JOURNAL_BODY.' },
  },
  journalRedact: {
    flag: 'journal-redact', env: 'MOCK_JOURNAL_REDACT', value: 'LIST', help: `headers the journal redacts, comma-separated, or none (default ${DefaultJournalRedact.join(',')})`, parse: parseHeaderList, fixture: true,
    file: { type: 'string', description: `Headers whose values the journal replaces with [redacted], comma-separated, or none to keep them all. Default ${DefaultJournalRedact.join(',')}. Flag --journal-redact, env MOCK_JOURNAL_REDACT.` },
  },
  saturationElu: { flag: 'saturation-elu', env: 'MOCK_SATURATION_ELU', value: '0..1', help: `event-loop utilisation that counts as saturated (default ${DefaultSaturationElu})`, parse: parseFraction },
  saturationSeconds: {
    flag: 'saturation-seconds', env: 'MOCK_SATURATION_SECONDS', value: 'N', help: `busy seconds in a row before the saturation warning (default ${DefaultSaturationSeconds})`,
    parse: (t, p) => parseBoundedInt(t, p, SaturationSecondsBounds),
  },
  tlsCert: {
    flag: 'tls-cert', env: 'MOCK_TLS_CERT', value: 'FILE', help: 'PEM certificate: serve HTTPS (with --tls-key)', parse: text,
    file: { type: 'string', description: 'PEM certificate file: serve HTTPS, with tlsKey (a path relative to the working directory, as the flag). Flag --tls-cert, env MOCK_TLS_CERT.' },
  },
  tlsKey: {
    flag: 'tls-key', env: 'MOCK_TLS_KEY', value: 'FILE', help: 'PEM private key for --tls-cert', parse: text,
    file: { type: 'string', description: 'PEM private key file for tlsCert. Flag --tls-key, env MOCK_TLS_KEY.' },
  },
  tlsCa: {
    flag: 'tls-ca', env: 'MOCK_TLS_CA', value: 'FILE', help: 'PEM CA bundle: mutual TLS, every client must present a certificate it signed (403 otherwise); serves on the portable engine', parse: text,
    file: { type: 'string', description: 'PEM CA bundle: mutual TLS, every client must present a certificate it signed (a 403 JSON otherwise); needs tlsCert and tlsKey; serves on the portable engine. Flag --tls-ca, env MOCK_TLS_CA.' },
  },
  proxyProtocol: {
    flag: 'proxy-protocol', env: 'MOCK_PROXY_PROTOCOL', value: '', help: 'every data-port connection starts with a PROXY protocol v1 or v2 header (HAProxy send-proxy); serves on the portable engine',
  },
  h2Port: {
    flag: 'h2-port', env: 'MOCK_H2_PORT', value: 'N', help: 'also serve HTTP/2 on this port: h2c (prior knowledge), or h2 and HTTP/1.1 by ALPN with --tls-cert; 0 picks a free one; without it, no HTTP/2 listener',
    parse: parsePort, fixture: true,
    file: integer(PortBounds, 'Port of the HTTP/2 listener: cleartext h2 with prior knowledge, or with tlsCert/tlsKey h2 and HTTP/1.1 chosen by ALPN; 0 picks a free one (printed as h2Port in the listening log line). Default: no HTTP/2 listener. Flag --h2-port, env MOCK_H2_PORT.'),
  },
  h2MaxStreams: {
    flag: 'h2-max-streams', env: 'MOCK_H2_MAX_STREAMS', value: 'N', help: `HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (default ${DefaultH2MaxStreams})`,
    parse: (t, p) => parseBoundedInt(t, p, H2StreamsBounds), fixture: true,
    file: integer(H2StreamsBounds, `Streams a client may have open at once on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM). Default ${DefaultH2MaxStreams}. Flag --h2-max-streams, env MOCK_H2_MAX_STREAMS.`),
  },
  h2Window: {
    flag: 'h2-window', env: 'MOCK_H2_WINDOW', value: 'BYTES', help: `HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on a stream before our WINDOW_UPDATE (default ${DefaultH2WindowBytes})`,
    parse: (t, p) => parseBoundedInt(t, p, H2WindowBounds),
    file: integer(H2WindowBounds, `Initial flow-control window of each HTTP/2 stream in bytes (SETTINGS_INITIAL_WINDOW_SIZE). Default ${DefaultH2WindowBytes}. Flag --h2-window, env MOCK_H2_WINDOW.`),
  },
  h2MaxFrame: {
    flag: 'h2-max-frame', env: 'MOCK_H2_MAX_FRAME', value: 'BYTES', help: `HTTP/2 SETTINGS_MAX_FRAME_SIZE, 16384 to 16777215 (default ${DefaultH2MaxFrameBytes})`,
    parse: (t, p) => parseBoundedInt(t, p, H2FrameBounds),
    file: integer(H2FrameBounds, `Largest HTTP/2 frame payload a client may send us, in bytes (SETTINGS_MAX_FRAME_SIZE), 16384 to 16777215. Default ${DefaultH2MaxFrameBytes}. Flag --h2-max-frame, env MOCK_H2_MAX_FRAME.`),
  },
  h2GoawayAfter: {
    flag: 'h2-goaway-after', env: 'MOCK_H2_GOAWAY_AFTER', value: 'N|DURATION', help: 'send GOAWAY on every HTTP/2 connection after N streams, or DURATION after it opened (reconnection tests)',
    parse: parseGoawayAfter, fixture: true,
    file: { type: ['string', 'integer'], description: 'Send GOAWAY on every HTTP/2 connection after this many streams (an integer), or this long after it opened (a duration such as "30s"): open streams finish, the client opens a new connection. Default: never. Flag --h2-goaway-after, env MOCK_H2_GOAWAY_AFTER.' },
  },
  h2IdleTimeout: {
    flag: 'h2-idle-timeout', env: 'MOCK_H2_IDLE_TIMEOUT', value: 'DURATION', help: `GOAWAY on an HTTP/2 connection with no frames for DURATION; 0 never (default ${formatDuration(DefaultH2IdleMs)})`,
    parse: (t, p) => parseDuration(t, p, MaxSettingDurationMs), fixture: true,
    file: { type: 'string', description: `Send GOAWAY on an HTTP/2 connection that carried no frames either way for this long (a duration such as "60s", the default; "0s" never): open streams finish, the session then closes. Flag --h2-idle-timeout, env MOCK_H2_IDLE_TIMEOUT.` },
  },
  aiTtft: {
    flag: 'ai-ttft', env: 'MOCK_AI_TTFT', value: 'LATENCY', help: 'time to first token of the AI endpoints (any latency expression; default 0ms); the ttft control wins',
    parse: (t, p, c) => { parseLatency(t, p, c.maxDelayMs); return t; }, fixture: true,
    file: { type: 'string', description: 'Time to first token of the AI endpoints (/v1/chat/completions, /v1/messages, ...): any latency expression, e.g. 300ms or lognormal(p50=300ms,p99=2s). Default 0ms. A request\'s ttft control wins. Flag --ai-ttft, env MOCK_AI_TTFT.' },
  },
  aiItl: {
    flag: 'ai-itl', env: 'MOCK_AI_ITL', value: 'LATENCY', help: 'inter-token latency of the AI endpoints, drawn per token (default 0ms); the itl control wins',
    parse: (t, p, c) => { parseLatency(t, p, c.maxDelayMs); return t; }, fixture: true,
    file: { type: 'string', description: 'Time between two output tokens of the AI endpoints, drawn per token: any latency expression, e.g. 20ms or uniform(10ms,30ms). Default 0ms. A request\'s itl control wins. Flag --ai-itl, env MOCK_AI_ITL.' },
  },
  aiContext: {
    flag: 'ai-context', env: 'MOCK_AI_CONTEXT', value: 'TOKENS', help: `context window of the AI endpoints: a longer prompt is a 400 context_length_exceeded (default ${DefaultAiContextTokens})`,
    parse: (t, p) => parseBoundedInt(t, p, AiContextBounds), fixture: true,
    file: integer(AiContextBounds, `Context window of the AI endpoints in tokens (one token is one word with the spaces before it): a prompt over it is answered 400 context_length_exceeded (Anthropic: invalid_request_error). Default ${DefaultAiContextTokens}. Flag --ai-context, env MOCK_AI_CONTEXT.`),
  },
  addr: { flag: 'addr', env: null, value: '[HOST]:PORT', help: 'go-bench-suite listen address, e.g. :8000', parse: parseAddr, compat: true },
  goTlsCert: { flag: 'tlsCert', env: null, value: 'FILE', help: 'go-bench-suite spelling of --tls-cert', parse: text, compat: true },
  goTlsKey: { flag: 'tlsKey', env: null, value: 'FILE', help: 'go-bench-suite spelling of --tls-key', parse: text, compat: true },
  help: { flag: 'help', short: 'h', env: null, value: '', help: 'print this help and exit' },
  version: { flag: 'version', short: 'v', env: null, value: '', help: 'print the version and exit' },
} as const satisfies Record<string, SettingSpec>;

/** A setting's name: its key in the table, the config file and the fixture's options. */
export type SettingKey = keyof typeof Settings;

/** What a setting's parser returns (true for a switch). */
export type SettingValue<K extends SettingKey> = (typeof Settings)[K] extends { readonly parse: SettingParser<infer T> } ? T : boolean;

/** Settings the config file's `server` object may hold. */
export type FileSettingKey = { [K in SettingKey]: (typeof Settings)[K] extends { readonly file: JsonSchema } ? K : never }[SettingKey];

/** Settings startMockUpstream takes as options. */
export type FixtureSettingKey = { [K in SettingKey]: (typeof Settings)[K] extends { readonly fixture: true } ? K : never }[SettingKey];

/** The table's rows with their keys, in table order. */
export const SettingRows: readonly (SettingSpec & { readonly key: SettingKey })[] =
  (Object.entries(Settings) as [SettingKey, SettingSpec][]).map(([key, spec]) => Object.freeze({ key, ...spec }));

/** The JSON Schema of the config file's `server` object, made from the table (the shipped schema must equal it). */
export function serverSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const row of SettingRows) if (row.file !== undefined) properties[row.key] = row.file;
  return {
    type: 'object',
    description: 'Server settings, each the config-file form of the flag of the same name (maxBody is --max-body). Precedence: flags > environment variables > these > defaults.',
    additionalProperties: false,
    properties,
  };
}

// `mock-upstream probe <url> [options]`: argv -> one frozen ProbeOptions, or a ProbeUsageError with one line.
// Durations go through parseDuration and counts through parseBoundedInt, the grammars the server uses.
import { parseArgs } from 'node:util';
import { parseDuration } from '../grammar/duration.js';
import { GrammarError } from '../grammar/errors.js';
import { MaxQueryNumber, parseBoundedInt } from '../grammar/integer.js';

/** The timeout when neither the URL (count × interval) nor --timeout says (ms). */
export const DefaultTimeoutMs = 60_000;
/** Slack added to count × interval for the default timeout: connecting and a slow gateway (ms). */
export const TimeoutSlackMs = 10_000;
/** Largest accepted duration in a probe option (a day, in ms): bounds the grammar, not a real limit. */
const MaxDurationMs = 86_400_000;

/** A bad probe command line: printed as one line, exit 1. */
export class ProbeUsageError extends Error {}

/** What to probe and how to judge it. */
export interface ProbeOptions {
  readonly url: URL;
  /** `ws` for ws:// and wss://, `sse` for http:// and https://. */
  readonly kind: 'ws' | 'sse';
  /** Messages expected (URL's count, else --count); null when unknown or count=0 (until closed). */
  readonly expected: number | null;
  /** Give up after this long (ms). */
  readonly timeoutMs: number;
  /** Extra request headers, as given (name, value). */
  readonly headers: readonly (readonly [string, string])[];
  /** Accept any TLS certificate (self-signed gateways). */
  readonly insecure: boolean;
  /** One JSON object on stdout instead of the text report. */
  readonly json: boolean;
  /** Exit 2 when the latency p99 is above this (ms). */
  readonly maxP99Ms: number | null;
  /** Exit 2 when more messages than this are lost. */
  readonly maxLoss: number | null;
}

/** What the probe command line asked for. */
export type ProbeCommand = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: ProbeOptions };

/** The probe's usage text (`mock-upstream probe --help`). */
export const ProbeHelp = [
  'Usage: mock-upstream probe URL [options]',
  '',
  'Connects through a gateway to a mock-upstream stream and reports what arrived: count, bytes, latency',
  'percentiles, loss, reordering, duplicates, SSE hold-back and bursts, and how the stream closed.',
  '  ws://, wss://      WebSocket, e.g. ws://gateway/ws/stream?interval=100ms&count=50',
  '  http://, https://  Server-Sent Events, e.g. http://gateway/sse?interval=100ms&count=50',
  'Latency compares the server\'s clock with this one: run both on one host or NTP-synced hosts.',
  '',
  'Options:',
  '  --count N            messages expected when the URL has no count parameter',
  '  --timeout D          give up after D (default: count x interval + 10s when the URL says both, else 60s)',
  '  --header "Name: v"   add a request header (repeatable), e.g. the gateway\'s auth',
  '  --insecure           accept any TLS certificate (self-signed gateways)',
  '  --json               print one JSON object (shape in docs/probe.md) instead of text',
  '  --max-p99 D          exit 2 when the latency p99 is above D',
  '  --max-loss N         exit 2 when more than N messages are lost',
  '  -h, --help           this text',
  'Exit codes: 0 done, 2 a threshold exceeded, 1 bad arguments or no connection.',
].join('\n');

const Kinds: Record<string, 'ws' | 'sse'> = { 'ws:': 'ws', 'wss:': 'ws', 'http:': 'sse', 'https:': 'sse' };
// RFC 9110 token: what a header name may be.
const HeaderName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function grammar<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof GrammarError) throw new ProbeUsageError(err.message);
    throw err;
  }
}

const countBounds = { min: 0, max: MaxQueryNumber, what: 'message count' };

/** Parse the arguments after `probe`; throws ProbeUsageError (one line) on anything wrong. */
export function parseProbeArgs(argv: readonly string[]): ProbeCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        count: { type: 'string' },
        timeout: { type: 'string' },
        header: { type: 'string', multiple: true },
        insecure: { type: 'boolean' },
        json: { type: 'boolean' },
        'max-p99': { type: 'string' },
        'max-loss': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ProbeUsageError(`${(err as Error).message.split('\n')[0]} (see mock-upstream probe --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (positionals.length !== 1) {
    throw new ProbeUsageError(`expected one URL, got ${positionals.length} (usage: mock-upstream probe URL [options])`);
  }
  let url: URL;
  try {
    url = new URL(positionals[0]);
  } catch {
    throw new ProbeUsageError(`invalid URL ${JSON.stringify(positionals[0])}: expected ws://, wss://, http:// or https://`);
  }
  const kind = Kinds[url.protocol];
  if (kind === undefined) throw new ProbeUsageError(`unsupported URL scheme "${url.protocol}" in ${url.href}: expected ws://, wss://, http:// or https://`);

  const urlCountText = url.searchParams.get('count');
  const urlCount = urlCountText === null ? null : grammar(() => parseBoundedInt(urlCountText, 'the URL\'s count', countBounds));
  const flagCount = values.count === undefined ? null : grammar(() => parseBoundedInt(values.count as string, '--count', countBounds));
  if (urlCount !== null && flagCount !== null && urlCount !== flagCount) {
    throw new ProbeUsageError(`--count ${flagCount} contradicts the URL's count=${urlCount}: drop one`);
  }
  const count = urlCount ?? flagCount;
  // count=0 asks the server to stream until closed: nothing to expect.
  const expected = count === null || count === 0 ? null : count;

  let timeoutMs: number;
  if (values.timeout !== undefined) {
    timeoutMs = grammar(() => parseDuration(values.timeout as string, '--timeout', MaxDurationMs));
    if (timeoutMs <= 0) throw new ProbeUsageError('--timeout must be above 0');
  } else {
    timeoutMs = defaultTimeout(expected, url.searchParams.get('interval'));
  }

  const headers: [string, string][] = [];
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    const name = colon < 0 ? '' : h.slice(0, colon).trim();
    if (!HeaderName.test(name)) throw new ProbeUsageError(`invalid --header ${JSON.stringify(h)}: use "Name: value"`);
    headers.push([name, h.slice(colon + 1).trim()]);
  }

  const maxP99Ms = values['max-p99'] === undefined ? null : grammar(() => parseDuration(values['max-p99'] as string, '--max-p99', MaxDurationMs));
  const maxLoss = values['max-loss'] === undefined ? null : grammar(() => parseBoundedInt(values['max-loss'] as string, '--max-loss', countBounds));

  return {
    kind: 'run',
    options: Object.freeze({
      url,
      kind,
      expected,
      timeoutMs,
      headers: Object.freeze(headers),
      insecure: values.insecure === true,
      json: values.json === true,
      maxP99Ms,
      maxLoss,
    }),
  };
}

/** count × interval + slack when both are known (interval read as a plain duration), else DefaultTimeoutMs. */
function defaultTimeout(expected: number | null, interval: string | null): number {
  if (expected === null || interval === null) return DefaultTimeoutMs;
  let ms: number;
  try {
    ms = parseDuration(interval, 'interval', MaxDurationMs);
  } catch {
    // Not a plain duration (the server may accept more): the server will say; wait the default.
    return DefaultTimeoutMs;
  }
  return Math.min(expected * ms + TimeoutSlackMs, MaxDurationMs);
}

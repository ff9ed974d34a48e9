// What the two transports (ws.ts, sse.ts) share: the clock they stamp arrivals with, the error that means "no
// stream to measure" (exit 1), and their common signature.
import type { ProbeOptions } from './args.js';
import type { Measured } from './report.js';
import type { Tally } from './stats.js';

/** No stream to measure: refused, TLS or DNS failure, a non-stream answer, no connection before the timeout. */
export class ProbeConnectError extends Error {}

/** Wall time in epoch ms with sub-ms precision: the same clock the server's stamp uses (timeOrigin + now()). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Runs one stream into the tally until it ends or `stop` aborts (its reason: 'timeout' or 'stopped').
 * Rejects with ProbeConnectError when no stream could be opened.
 */
export type Transport = (options: ProbeOptions, tally: Tally, stop: AbortSignal) => Promise<Measured>;

/** Why the probe was stopped, from the abort reason. */
export function stopOutcome(stop: AbortSignal): 'timeout' | 'stopped' {
  return stop.reason === 'timeout' ? 'timeout' : 'stopped';
}

/** The one-line message of a failed connection attempt before any stream arrived. */
export function beforeConnect(options: ProbeOptions, stop: AbortSignal): ProbeConnectError {
  return new ProbeConnectError(stop.reason === 'timeout'
    ? `no connection to ${options.url.href} within ${options.timeoutMs} ms (--timeout)`
    : `stopped before connecting to ${options.url.href}`);
}

// The probe's report: one object (the --json output, its shape documented in docs/probe.md) and its text form,
// plus the threshold verdict that picks the exit code.
import type { ProbeOptions } from './args.js';
import type { Accounting, Percentiles } from './stats.js';

/** How the stream ended, seen from the probe. */
export interface StreamEnd {
  /**
   * clean: a WebSocket close frame arrived, or the SSE response ended after a whole event; cut: the connection
   * closed without a close frame (WS 1006) or before the end of the response / mid-event (SSE); timeout: the
   * probe gave up after --timeout; stopped: SIGINT/SIGTERM.
   */
  readonly outcome: 'clean' | 'cut' | 'timeout' | 'stopped';
  /** The WebSocket close code (1005 when the frame had none); null for SSE and when the probe ended it. */
  readonly code: number | null;
  /** The WebSocket close reason, or what the probe saw (SSE, cut, timeout). */
  readonly reason: string;
}

/** What a transport (ws.ts, sse.ts) measured besides the tally. */
export interface Measured {
  /** From the start of the connection to the WebSocket open / the SSE response head (ms). */
  readonly connectMs: number;
  /** From the start of the connection to the end of the stream (ms). */
  readonly durationMs: number;
  readonly end: StreamEnd;
  /** SSE: comment lines (heartbeats) received; null for WebSocket. */
  readonly heartbeats: number | null;
  /** SSE: the most events that arrived in one read; null for WebSocket. */
  readonly bursts: number | null;
}

/** SSE hold-back: the latency figures read as how long events were held back, and the largest burst. */
export interface HoldBack {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly bursts: number;
}

/** The --json object. */
export interface ProbeReport {
  readonly url: string;
  readonly kind: 'ws' | 'sse';
  readonly received: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly connectMs: number;
  readonly expected: number | null;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly loss: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly unstamped: number;
  readonly latencyMs: Percentiles | null;
  readonly holdBackMs: HoldBack | null;
  readonly heartbeats: number | null;
  readonly close: StreamEnd;
  readonly thresholds: { readonly maxP99Ms: number | null; readonly maxLoss: number | null; readonly exceeded: readonly string[] };
}

// Microsecond precision: the stamp's own resolution.
const us = (ms: number): number => Math.round(ms * 1000) / 1000;

function roundPercentiles(p: Percentiles | null): Percentiles | null {
  return p === null ? null : { min: us(p.min), p50: us(p.p50), p90: us(p.p90), p99: us(p.p99), max: us(p.max) };
}

/** The report of one run, with the thresholds judged. */
export function buildReport(options: ProbeOptions, a: Accounting, m: Measured): ProbeReport {
  const latency = roundPercentiles(a.latencyMs);
  const exceeded: string[] = [];
  if (options.maxP99Ms !== null) {
    if (latency === null) exceeded.push('max-p99: no latency was measured (no stamped message arrived)');
    else if (latency.p99 > options.maxP99Ms) exceeded.push(`max-p99: p99 ${ms(latency.p99)} > ${ms(options.maxP99Ms)}`);
  }
  if (options.maxLoss !== null && a.loss > options.maxLoss) exceeded.push(`max-loss: ${a.loss} lost > ${options.maxLoss}`);
  const holdBack = options.kind === 'sse' && latency !== null
    ? { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, bursts: m.bursts ?? 0 }
    : null;
  return {
    url: options.url.href,
    kind: options.kind,
    received: a.received,
    bytes: a.bytes,
    durationMs: us(m.durationMs),
    connectMs: us(m.connectMs),
    expected: a.expected,
    firstSeq: a.firstSeq,
    lastSeq: a.lastSeq,
    loss: a.loss,
    reordered: a.reordered,
    duplicates: a.duplicates,
    unstamped: a.unstamped,
    latencyMs: latency,
    holdBackMs: holdBack,
    heartbeats: m.heartbeats,
    close: m.end,
    thresholds: { maxP99Ms: options.maxP99Ms, maxLoss: options.maxLoss, exceeded },
  };
}

/** The exit code of a report: 2 when a threshold was exceeded, else 0. */
export function exitCode(report: ProbeReport): number {
  return report.thresholds.exceeded.length > 0 ? 2 : 0;
}

function ms(v: number): string {
  const a = Math.abs(v);
  if (a >= 10_000) return `${(v / 1000).toFixed(1)}s`;
  if (a >= 100) return `${v.toFixed(0)}ms`;
  if (a >= 1) return `${v.toFixed(1)}ms`;
  return `${v.toFixed(3)}ms`;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function row(name: string, text: string): string {
  return `  ${name.padEnd(11)} ${text}`;
}

/** The human-readable report (the default output). */
export function formatReport(r: ProbeReport): string {
  const lines = [`probe ${r.kind === 'ws' ? 'WebSocket' : 'SSE'} ${r.url}`];
  lines.push(row('received', `${r.received} messages, ${bytes(r.bytes)} in ${ms(r.durationMs)} (connected in ${ms(r.connectMs)})`));
  const range = r.firstSeq === null ? 'no stamped message' : `seq ${r.firstSeq}..${r.lastSeq}`;
  const expected = r.expected === null ? 'expected count unknown' : `${r.expected} expected`;
  lines.push(row('sequence', `${range}, ${expected}: ${r.loss} lost, ${r.reordered} reordered, ${r.duplicates} duplicates` +
    (r.unstamped > 0 ? `, ${r.unstamped} without a stamp` : '')));
  const l = r.latencyMs;
  lines.push(row('latency', l === null ? 'none measured' : `min ${ms(l.min)}  p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`));
  if (l !== null && l.min < 0) {
    lines.push(row('', `negative latency: the server's clock is ahead of this one by at least ${ms(-l.min)}; run both on one host or NTP-synced hosts`));
  }
  const h = r.holdBackMs;
  if (h !== null) {
    lines.push(row('hold-back', `p50 ${ms(h.p50)}  p90 ${ms(h.p90)}  p99 ${ms(h.p99)}  max ${ms(h.max)}; at most ${h.bursts} event(s) in one read`));
  }
  if (r.heartbeats !== null) lines.push(row('heartbeats', String(r.heartbeats)));
  const c = r.close;
  const code = c.code === null ? '' : ` code ${c.code}`;
  lines.push(row('close', `${c.outcome}${code}${c.reason === '' ? '' : ` (${c.reason})`}`));
  if (r.thresholds.exceeded.length > 0) lines.push(row('EXCEEDED', r.thresholds.exceeded.join('; ')));
  else if (r.thresholds.maxP99Ms !== null || r.thresholds.maxLoss !== null) lines.push(row('thresholds', 'met'));
  return lines.join('\n');
}

// What one WebSocket upgrade asked for: the controls (`delay`, `status`, `close`, `deflate`, `max-message`,
// `idle`) and, on /ws/stream, the stream (`interval`, `size`, `count`, `jitter`, `binary`), from the query or
// the X-Mock header (the header wins per name). Compiled once per distinct query + X-Mock text per worker
// (the one bounded cache), so a load test opening thousands of identical sockets parses once.
import { parseLatency, parseStatusChoice, type Sampler } from './distribution.js';
import type { WeightedChoice } from './choice.js';
import { parseDuration } from './duration.js';
import { GrammarError, quoteValue } from './errors.js';
import { parseBoundedInt, wholeNumber } from './integer.js';
import { parseSize } from './size.js';
import { BoundedCache } from './cache.js';
import { MaxStampSeq } from '../serializers/stamp.js';

/** Control names a WebSocket upgrade reads (X-Mock names outside this list are a 400). */
export const WsControlNames: readonly string[] = [
  'delay', 'status', 'close', 'deflate', 'max-message', 'idle', 'interval', 'size', 'count', 'jitter', 'binary',
];

/** Messages /ws/stream sends when count is not given. */
export const DefaultStreamCount = 10;
/** /ws/stream's interval when none is given. */
export const DefaultIntervalMs = 1000;

/** How and when the server closes a socket on its own (the `close` control). */
export interface CloseRule {
  /** Close code sent (1000, 1001, 1003, 1007-1014, 3000-4999). */
  readonly code: number;
  /** After this many messages sent by the server (-1: not by count). */
  readonly afterMessages: number;
  /** After this long open (-1: not by time). */
  readonly afterMs: number;
}

/** A compiled upgrade: immutable, shared by every socket that asked the same. */
export interface WsPlan {
  readonly delay: Sampler | null;
  /** Weighted status: a pick of 300 or more refuses the upgrade with that status; below 300 accepts. */
  readonly status: WeightedChoice<number> | null;
  readonly close: CloseRule | null;
  /** Negotiate permessage-deflate when the client offers it. */
  readonly deflate: boolean;
  /** Largest message the socket takes before the server closes it with 1009. */
  readonly maxMessage: number;
  /** Close (1001) after this long without a message from the client; 0: never. */
  readonly idleMs: number;
  /** /ws/stream: the time between messages. */
  readonly interval: Sampler;
  /** /ws/stream: message size in bytes (at least the stamp). */
  readonly size: number;
  /** /ws/stream: messages in all (0: until closed). */
  readonly count: number;
  /** /ws/stream: up to this much added to each interval, uniformly. */
  readonly jitterMs: number;
  /** /ws/stream: binary frames instead of text. */
  readonly binary: boolean;
}

/** The limits a plan is checked against. */
export interface PlanLimits {
  readonly maxDelayMs: number;
  /** --ws-max-message: the largest message any socket takes. */
  readonly maxMessage: number;
}

// Close codes an endpoint may send (RFC 6455 7.4: 1004-1006 and 1015 are reserved, 1012-1014 are IANA-registered).
function closeCode(text: string, param: string): number {
  const n = wholeNumber(text);
  if (n === 1000 || n === 1001 || n === 1003 || (n >= 1007 && n <= 1014) || (n >= 3000 && n <= 4999)) return n;
  throw new GrammarError(param, `invalid close code ${quoteValue(text)} for ${param}: use 1000, 1001, 1003, 1007-1014 or 3000-4999, e.g. close=1001:5 (after 5 messages) or close=4000:2s (after 2 s)`);
}

/** `close=<code>`, `<code>:<messages>` or `<code>:<duration>`. */
export function parseCloseRule(text: string, param: string, maxMs: number): CloseRule {
  const colon = text.indexOf(':');
  if (colon < 0) return { code: closeCode(text, param), afterMessages: 0, afterMs: -1 };
  const code = closeCode(text.slice(0, colon), param);
  const after = text.slice(colon + 1);
  const n = wholeNumber(after);
  if (n >= 0) return { code, afterMessages: n, afterMs: -1 };
  return { code, afterMessages: -1, afterMs: parseDuration(after, param, maxMs) };
}

function parseSwitch(text: string, param: string): boolean {
  switch (text) {
    case 'on': case 'true': case '1': case '': return true;
    case 'off': case 'false': case '0': return false;
    default: throw new GrammarError(param, `invalid switch ${quoteValue(text)} for ${param}: use on or off`);
  }
}

const Never = parseLatency('0ms', 'interval', 0);

/** Compile query + X-Mock text into a plan; GrammarError on a bad or unknown value. */
export function compilePlan(query: string, xMock: string, limits: PlanLimits): WsPlan {
  const q = new URLSearchParams(query);
  const h = new URLSearchParams(xMock);
  for (const k of h.keys()) {
    if (!WsControlNames.includes(k)) {
      throw new GrammarError('X-Mock', `unknown control ${quoteValue(k)} in X-Mock: WebSocket routes take ${WsControlNames.join(', ')}`);
    }
  }
  const get = (name: string): [string, string] | null => {
    const hv = h.get(name);
    if (hv !== null) return [hv, `X-Mock ${name}`];
    const qv = q.get(name);
    return qv === null ? null : [qv, name];
  };
  const delay = get('delay');
  const status = get('status');
  const close = get('close');
  const deflate = get('deflate');
  const maxMessage = get('max-message');
  const idle = get('idle');
  const interval = get('interval');
  const size = get('size');
  const count = get('count');
  const jitter = get('jitter');
  const binary = get('binary');
  const max = limits.maxDelayMs;
  return {
    delay: delay === null ? null : parseLatency(delay[0], delay[1], max),
    status: status === null ? null : parseStatusChoice(status[0], status[1]),
    close: close === null ? null : parseCloseRule(close[0], close[1], max),
    deflate: deflate === null ? false : parseSwitch(deflate[0], deflate[1]),
    maxMessage: maxMessage === null ? limits.maxMessage : parseSize(maxMessage[0], maxMessage[1], limits.maxMessage, '--ws-max-message'),
    idleMs: idle === null ? 0 : parseDuration(idle[0], idle[1], max),
    interval: interval === null ? DefaultInterval : parseLatency(interval[0], interval[1], max),
    size: size === null ? 0 : parseSize(size[0], size[1], limits.maxMessage, '--ws-max-message'),
    count: count === null ? DefaultStreamCount : parseBoundedInt(count[0], count[1], { min: 0, max: MaxStampSeq, what: 'message count', note: '(0: until the socket closes)' }),
    jitterMs: jitter === null ? 0 : parseDuration(jitter[0], jitter[1], max),
    binary: binary === null ? false : parseSwitch(binary[0], binary[1]),
  };
}

const DefaultInterval = parseLatency(`${DefaultIntervalMs}ms`, 'interval', DefaultIntervalMs);

/** Longest query + X-Mock text whose plan is remembered (longer ones compile per upgrade). */
const MaxCachedBytes = 1024;

/** Per-worker plans by their text: the same upgrade URL compiles once. Bad values are not kept. */
export class PlanCache {
  private readonly plans = new BoundedCache<WsPlan>();
  /** The plan of an upgrade without controls. */
  readonly plain: WsPlan;

  constructor(private readonly limits: PlanLimits) {
    this.plain = compilePlan('', '', limits);
  }

  /** The plan for this query and X-Mock text (compiled, or remembered); throws GrammarError. */
  get(query: string, xMock: string): WsPlan {
    if (query.length === 0 && xMock.length === 0) return this.plain;
    if (query.length + xMock.length > MaxCachedBytes) return compilePlan(query, xMock, this.limits);
    const key = `${query}\u0000${xMock}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(query, xMock, this.limits);
      this.plans.set(key, plan);
    }
    return plan;
  }
}

/** A plan with nothing asked: what configured routes start from. */
export function emptyPlan(limits: PlanLimits): WsPlan {
  return { ...compilePlan('', '', limits), interval: Never };
}

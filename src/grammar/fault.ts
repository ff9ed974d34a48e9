// The `fault` control's grammar: which connection-level failure a response turns into, with its argument,
// weighted like `status` (`reset:5,empty:5`: 5 % each, the rest no fault). An argument is written in
// parentheses (`truncate(100)`, `slow-body(1KB)`), never after a colon: the choice grammar reads the last
// colon of an item as its percentage, so `truncate:100` already means "truncate, 100 % of responses".
// docs/faults.md explains the choice.
import { parseWeighted, type WeightedChoice } from './choice.js';
import { parseDuration } from './duration.js';
import { GrammarErrors } from './errors.js';
import { parseSize } from './size.js';

/** Every fault kind, in counter order (observe/counters.ts keeps one cell per kind). */
export const FaultKinds = ['reset', 'empty', 'garbage', 'truncate', 'malformed-chunk', 'hang', 'slow-headers', 'slow-body', 'big-headers'] as const;
export type FaultKind = (typeof FaultKinds)[number];

/** Fault kind indexes, for the serving switch. */
export const K = {
  reset: 0, empty: 1, garbage: 2, truncate: 3, malformedChunk: 4, hang: 5, slowHeaders: 6, slowBody: 7, bigHeaders: 8,
} as const;

/** Whether a fault of this kind sends nothing of the route's answer (reset, empty, garbage, hang). */
export function answersNothing(kind: number): boolean {
  return kind === K.reset || kind === K.empty || kind === K.garbage || kind === K.hang;
}

/** Largest big-headers size: nginx's and Node's default header limits are 4-64 KB; 1 MiB is far past any. */
export const MaxBigHeadersBytes = 1024 * 1024;
/** Largest truncate offset (bytes of body sent before the close). */
export const MaxTruncateBytes = 1024 * 1024 * 1024;
/** Largest slow-body rate, bytes per second (above this nothing is slow). */
export const MaxSlowBodyRate = 1024 * 1024 * 1024;

/** One fault, compiled: its kind index, its name as written (for the journal) and its argument. */
export interface Fault {
  readonly kind: number;
  /** The item as written, e.g. `truncate(100)`. */
  readonly text: string;
  /** Bytes (truncate, big-headers), bytes per second (slow-body), milliseconds (slow-headers); 0 otherwise. */
  readonly arg: number;
}

const HINT = 'use reset, empty, garbage, truncate(SIZE), malformed-chunk, hang, slow-headers(DURATION), slow-body(SIZE per second) or big-headers(SIZE), '
  + 'optionally weighted like status: fault=reset:5,truncate(100):5 (5 % each, the rest no fault)';
const Errors = new GrammarErrors('fault', HINT);

// Kind name -> [index, what its argument is]; null: takes none.
const ArgKind: ReadonlyMap<string, 'size' | 'duration' | 'rate' | null> = new Map([
  ['reset', null], ['empty', null], ['garbage', null], ['truncate', 'size'], ['malformed-chunk', null], ['hang', null],
  ['slow-headers', 'duration'], ['slow-body', 'rate'], ['big-headers', 'size'],
]);

/** One fault item without its weight, e.g. `truncate(100)`; maxDelayMs bounds slow-headers. Throws GrammarError. */
export function parseFault(text: string, param: string, maxDelayMs: number): Fault {
  const open = text.indexOf('(');
  const name = open < 0 ? text : text.slice(0, open);
  const kind = ArgKind.get(name);
  if (kind === undefined) throw Errors.invalid(text, param, 'unknown fault');
  const index = (FaultKinds as readonly string[]).indexOf(name);
  if (open < 0) {
    if (kind !== null) throw Errors.invalid(text, param, `${name} takes an argument in parentheses, e.g. ${example(name)}`);
    return { kind: index, text, arg: 0 };
  }
  if (kind === null) throw Errors.invalid(text, param, `${name} takes no argument`);
  if (!text.endsWith(')')) throw Errors.invalid(text, param, 'the argument\'s ")" is missing');
  const argText = text.slice(open + 1, -1);
  let arg: number;
  if (kind === 'duration') arg = parseDuration(argText, param, maxDelayMs);
  else if (kind === 'rate') arg = parseSize(argText.endsWith('/s') ? argText.slice(0, -2) : argText, param, MaxSlowBodyRate, 'the largest rate');
  else arg = parseSize(argText, param, name === 'truncate' ? MaxTruncateBytes : MaxBigHeadersBytes, name === 'truncate' ? 'the largest offset' : 'the largest head');
  if (kind === 'rate' && arg === 0) throw Errors.invalid(text, param, 'the rate must be at least 1 byte per second');
  return { kind: index, text, arg };
}

function example(name: string): string {
  return name === 'slow-headers' ? 'slow-headers(2s)' : name === 'slow-body' ? 'slow-body(1KB)' : name === 'truncate' ? 'truncate(100)' : 'big-headers(16KB)';
}

/** The `fault` control: weighted faults (or `none`), null (no fault) for the rest. Throws GrammarError. */
export function parseFaultChoice(text: string, param: string, maxDelayMs: number): WeightedChoice<Fault | null> {
  // `none` is an item too, for scenarios: fault=resetx2,none fails two requests, then serves normally.
  return parseWeighted<Fault | null>(text, param, (t, p) => (t === 'none' ? null : parseFault(t, p, maxDelayMs)), null);
}

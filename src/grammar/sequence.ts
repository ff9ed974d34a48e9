// Scenarios: a control's value as a deterministic sequence, `503x3,200` (three 503s, then 200 for ever) or
// `cycle(503x2,200)` (503, 503, 200, 503, ...). The grammar is generic over the item: each item is whatever
// the control's own parser reads (a status choice, a latency, a size, a fault), so a control that takes a
// value takes a sequence of them. Where a request is in its sequence is kept elsewhere (observe/scenarios.ts).
import { GrammarError, GrammarErrors, quoteValue } from './errors.js';
import { wholeNumber } from './integer.js';

/** Longest sequence text (as weighted choices). */
const MaxLength = 4352;
/** Most items in one sequence. */
export const MaxSequenceItems = 64;
/** Largest repeat count of one item (`503x1000000`). */
export const MaxRepeat = 1_000_000;
const CyclePrefix = 'cycle(';

const OPEN = 40;
const CLOSE = 41;
const COMMA = 44;
const COLON = 58;
const EQUALS = 61;
const LOWER_X = 120;

const HINT = 'write items separated by commas, each a value with an optional repeat count xN (503x3,200: three 503s, then 200 for every later request), or cycle(...) to start over after the last item (cycle(503x2,200))';
const Errors = new GrammarErrors('sequence', HINT);

/** A compiled sequence: items with repeat counts; at(position) gives the item of the request at that position. */
export interface Sequence<T> {
  readonly items: readonly T[];
  /** Repeat count of each item. */
  readonly counts: readonly number[];
  /** The sum of the counts: positions 0..total-1 cover the sequence once. */
  readonly total: number;
  /** Whether the sequence starts over after its last position (else the last item repeats). */
  readonly cycle: boolean;
  /** The text as written (the identity of the sequence in the shared table and in /__mock/scenarios). */
  readonly text: string;
  /** The item for a position in [0, total); positions past the end are the caller's business (see ScenarioTable). */
  at(position: number): T;
}

class CompiledSequence<T> implements Sequence<T> {
  readonly total: number;
  // ends[i]: the first position after item i.
  private readonly ends: Int32Array;

  constructor(readonly items: readonly T[], readonly counts: readonly number[], readonly cycle: boolean, readonly text: string) {
    this.ends = new Int32Array(counts.length);
    let sum = 0;
    for (let i = 0; i < counts.length; i++) {
      sum += counts[i];
      this.ends[i] = sum;
    }
    this.total = sum;
  }

  at(position: number): T {
    const ends = this.ends;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (position < ends[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}

/**
 * Whether a control's text is a sequence rather than one value: it is `cycle(...)`, or an item (split at
 * commas outside parentheses) ends in a repeat count `xN`, or it has several items and none is weighted
 * (`value:percent`) or a percentile (`p99=...`), forms that a plain value list would otherwise be.
 */
export function isSequence(text: string): boolean {
  if (text.startsWith(CyclePrefix)) return true;
  let depth = 0;
  let items = 1;
  let weighted = false;
  let start = 0;
  let repeat = false;
  const len = text.length;
  for (let i = 0; i <= len; i++) {
    const c = i === len ? COMMA : text.charCodeAt(i);
    if (c === OPEN) depth++;
    else if (c === CLOSE) depth--;
    else if (depth === 0 && (c === COLON || c === EQUALS)) weighted = true;
    else if (depth === 0 && c === COMMA) {
      if (repeatAt(text, start, i) !== -1) repeat = true;
      if (i !== len) items++;
      start = i + 1;
    }
  }
  return repeat || (items > 1 && !weighted);
}

/**
 * Parses a sequence whose items parseItem reads (it throws GrammarError); throws GrammarError, and nothing
 * else, on bad input. `503x3,200`: items with optional repeat counts; `cycle(...)`: the same, starting over.
 */
export function parseSequence<T>(text: string, param: string, parseItem: (itemText: string, param: string) => T): Sequence<T> {
  if (text.length === 0) throw Errors.invalid(text, param, 'it is empty');
  if (text.length > MaxLength) throw Errors.invalid(text, param, `it is longer than ${MaxLength} characters`);
  let body = text;
  let cycle = false;
  if (text.startsWith(CyclePrefix)) {
    if (text.charCodeAt(text.length - 1) !== CLOSE) throw Errors.invalid(text, param, '"cycle(" must be closed by a ")" at the end');
    body = text.slice(CyclePrefix.length, -1);
    cycle = true;
    if (body.length === 0) throw Errors.invalid(text, param, 'cycle() is empty');
  }
  const items: T[] = [];
  const counts: number[] = [];
  let depth = 0;
  let start = 0;
  const len = body.length;
  for (let i = 0; i <= len; i++) {
    const c = i === len ? COMMA : body.charCodeAt(i);
    if (c === OPEN) depth++;
    else if (c === CLOSE) depth--;
    if (c !== COMMA || depth !== 0) continue;
    const n = items.length + 1;
    if (n > MaxSequenceItems) throw Errors.invalid(text, param, `it has more than ${MaxSequenceItems} items`);
    if (i === start) throw Errors.invalid(text, param, `item ${n} is empty`);
    const x = repeatAt(body, start, i);
    const item = body.slice(start, i);
    let count = 1;
    let valueEnd = i;
    if (x !== -1) {
      count = wholeNumber(body.slice(x + 1, i));
      if (count < 1 || count > MaxRepeat) throw Errors.invalid(text, param, `item ${n} ${quoteValue(item)} repeats ${body.slice(x + 1, i)} times: use 1 to ${MaxRepeat}`);
      valueEnd = x;
    }
    if (valueEnd === start) throw Errors.invalid(text, param, `item ${n} ${quoteValue(item)} has a repeat count but no value`);
    const valueText = body.slice(start, valueEnd);
    items.push(Errors.inItem(text, param, n, item, () => parseItem(valueText, param)));
    counts.push(count);
    start = i + 1;
  }
  if (depth !== 0) throw new GrammarError(param, `invalid sequence ${quoteValue(text)} for ${param}: unbalanced parentheses; ${HINT}`);
  return new CompiledSequence(items, counts, cycle, text);
}

// The index of the `x` of a trailing repeat count `xN` in text[start, end), or -1.
function repeatAt(text: string, start: number, end: number): number {
  let i = end - 1;
  while (i > start && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i--;
  return i < end - 1 && i >= start && text.charCodeAt(i) === LOWER_X ? i : -1;
}

/** A control's text parsed as its grammar's one value, or as a sequence of such values (exactly one is non-null). */
export interface OneOrSequence<T> {
  readonly value: T | null;
  readonly seq: Sequence<T> | null;
}

/** Parse a control's text as one value or, when isSequence(text), as a sequence (throws GrammarError). */
export function parseOneOrSequence<T>(text: string, param: string, one: (itemText: string, param: string) => T): OneOrSequence<T> {
  return isSequence(text) ? { value: null, seq: parseSequence(text, param, one) } : { value: one(text, param), seq: null };
}

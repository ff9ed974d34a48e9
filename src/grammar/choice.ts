import { GrammarError, GrammarErrors, quoteValue } from './errors.js';
import { parsePercent } from './percent.js';

// 64 pairs of a 32-character value and a 32-character percentage, plus separators, fit well inside this.
const MAX_LENGTH = 4352;
const MAX_ITEMS = 64;
// Decimal percentages are not exact in binary (33.3 + 33.3 + 33.4 = 100.00000000000001): a sum within this of 100
// is 100, both for the over-100 check and so that float error never leaves a sliver for the fallback.
const SUM_SLACK = 1e-9;

const COMMA = 44;
const COLON = 58;

const HINT = 'write value:percent pairs separated by commas (percentages from 0 to 100 adding up to at most 100, the rest goes to the default), or a single value for 100 %';
const Errors = new GrammarErrors('weighted choice', HINT);

/** A compiled weighted choice; pick() maps a uniform draw to a value without allocating. */
export interface WeightedChoice<T> {
  /** The value for a uniform draw r in [0, 1): each listed value with its percentage, the fallback for the rest. */
  pick(r: number): T;
  /** The listed values, in the order written. */
  readonly values: readonly T[];
  /** The percentage of each listed value, as written (0 to 100). */
  readonly percents: readonly number[];
  /** The value for the remainder when the percentages add up to less than 100. */
  readonly fallback: T;
  /** 100 minus the listed percentages; exactly 0 when they add up to 100 within float error. */
  readonly fallbackPercent: number;
}

class CompiledChoice<T> implements WeightedChoice<T> {
  readonly values: readonly T[];
  readonly percents: readonly number[];
  readonly fallback: T;
  readonly fallbackPercent: number;
  // cumulative[i] is the share (0..1) of values 0..i; the last entry is exactly 1 when nothing is left over.
  private readonly cumulative: Float64Array;

  constructor(values: readonly T[], percents: readonly number[], fallback: T) {
    this.values = values;
    this.percents = percents;
    this.fallback = fallback;
    const cumulative = new Float64Array(values.length);
    let sum = 0;
    for (let i = 0; i < percents.length; i++) {
      sum += percents[i];
      cumulative[i] = Math.min(1, sum / 100);
    }
    const full = sum >= 100 - SUM_SLACK;
    if (full && cumulative.length > 0) cumulative[cumulative.length - 1] = 1;
    this.fallbackPercent = full ? 0 : 100 - sum;
    this.cumulative = cumulative;
  }

  pick(r: number): T {
    // First index whose cumulative share exceeds r, so zero-percent values are never picked.
    const cumulative = this.cumulative;
    let lo = 0;
    let hi = cumulative.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r < cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo < cumulative.length ? this.values[lo] : this.fallback;
  }
}

/**
 * Parses fortio-style weighted choices (`10ms:50,100ms:10`, `503:20,404:10`): value:percent pairs whose percentages
 * add up to at most 100, the rest going to `fallback`; a single value without `:` is that value 100 %.
 * parseValue reads one value and throws GrammarError; this throws GrammarError, and nothing else, on bad input.
 */
export function parseWeighted<T>(
  text: string,
  param: string,
  parseValue: (valueText: string, param: string) => T,
  fallback: T,
): WeightedChoice<T> {
  const len = text.length;
  if (len === 0) throw Errors.invalid(text, param, 'it is empty');
  if (len > MAX_LENGTH) throw Errors.invalid(text, param, `it is longer than ${MAX_LENGTH} characters`);

  let commas = 0;
  let hasColon = false;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === COMMA) commas++;
    else if (c === COLON) hasColon = true;
  }
  // A bare value is the common case (X-Status: 503); its own error message is the most useful one.
  if (commas === 0 && !hasColon) return new CompiledChoice([parseValue(text, param)], [100], fallback);
  if (commas >= MAX_ITEMS) throw Errors.invalid(text, param, `it has more than ${MAX_ITEMS} items`);

  const values: T[] = [];
  const percents: number[] = [];
  let sum = 0;
  let start = 0;
  for (let n = 1; start <= len; n++) {
    let end = text.indexOf(',', start);
    if (end === -1) end = len;
    if (end === start) throw Errors.invalid(text, param, `item ${n} is empty`);
    const item = text.slice(start, end);
    // The last colon, so a value type that contains colons still parses.
    const colon = item.lastIndexOf(':');
    if (colon === -1) throw Errors.invalid(text, param, `item ${n} ${quoteValue(item)} has no :percent`);
    if (colon === item.length - 1) throw Errors.invalid(text, param, `item ${n} ${quoteValue(item)} has nothing after the colon`);
    values.push(Errors.inItem(text, param, n, item, () => parseValue(item.slice(0, colon), param)));
    const percent = Errors.inItem(text, param, n, item, () => parsePercent(item.slice(colon + 1), param));
    percents.push(percent);
    sum += percent;
    start = end + 1;
  }

  if (sum > 100 + SUM_SLACK) {
    throw new GrammarError(
      param,
      `weighted choice ${quoteValue(text)} for ${param}: the percentages add up to ${Number(sum.toPrecision(12))}, over 100; ${HINT}`,
    );
  }
  return new CompiledChoice(values, percents, fallback);
}

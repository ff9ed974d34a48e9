import { BoundedCache, DefaultCacheBytes } from './cache.js';
import { parseWeighted, type WeightedChoice } from './choice.js';
import { formatDuration, parseDuration } from './duration.js';
import { GrammarError, GrammarErrors, quoteValue } from './errors.js';
import { wholeNumber } from './integer.js';
import { parsePercent } from './percent.js';
import type { Random } from './random.js';
import { parseSize } from './size.js';

// Same bound as weighted choices: a 64-point table of 32-character percentiles and durations fits.
const MAX_LENGTH = 4352;
const MAX_POINTS = 64;
// As in parseDuration: a p99.9 within this relative distance of the cap is the cap, so a describe string that
// rounded a value up is still accepted.
const CAP_SLACK = 1e-9;
// Standard normal quantiles at 0.99 and 0.999.
const Z99 = 2.3263478740408408;
const Z999 = 3.090232306167813;
// normal() redraws negative values; the mean is never negative, so each draw is kept with probability at least 1/2
// and 64 failures in a row (then 0 ms) happen with probability at most 2^-64.
const MAX_NORMAL_DRAWS = 64;
const DEFAULT_CACHE_ENTRIES = 1024;
// Significant digits when rendering percentages, as for durations.
const SIGNIFICANT = 12;

const OPEN = 40;
const CLOSE = 41;
const COMMA = 44;
const COLON = 58;
const EQUALS = 61;
const LOWER_P = 112;

const HINT =
  'use a duration (150ms), weighted durations (10ms:50,100ms:10), uniform(10ms,50ms), normal(50ms,5ms), ' +
  'lognormal(p50=20ms,p99=200ms), a percentile table (p50=10ms,p90=30ms,p99=100ms) or linear(base=1ms,per=0.5ms)';
// 1xx codes are interim: sent as the final status they leave clients waiting for one that never comes.
const STATUS_HINT = 'use a number from 200 to 599 such as 503 (1xx codes are interim responses, never a final one)';
const Errors = new GrammarErrors('latency', HINT);
const StatusErrors = new GrammarErrors('status code', STATUS_HINT);

/** A latency expression compiled once; sample() draws one delay in milliseconds without allocating. */
export interface Sampler {
  /**
   * One delay in ms, always finite and within [0, maxMs]. load: the requests in flight on this worker
   * (only linear() reads it; callers that do not know it pass nothing, which counts as 0).
   */
  sample(rng: Random, load?: number): number;
  /** The expression in canonical form (units normalized); parseLatency reads it back to the same sampler. */
  readonly describe: string;
}

class ConstantSampler implements Sampler {
  constructor(
    private readonly ms: number,
    readonly describe: string,
  ) {}

  sample(): number {
    return this.ms;
  }
}

class WeightedSampler implements Sampler {
  constructor(
    private readonly choice: WeightedChoice<number>,
    readonly describe: string,
  ) {}

  sample(rng: Random): number {
    return this.choice.pick(rng.next());
  }
}

class UniformSampler implements Sampler {
  private readonly span: number;

  constructor(
    private readonly min: number,
    max: number,
    readonly describe: string,
  ) {
    this.span = max - min;
  }

  sample(rng: Random): number {
    return this.min + this.span * rng.next();
  }
}

// Truncated at 0 by redrawing, not clamping: clamping would pile the whole negative tail onto exactly 0 ms.
class NormalSampler implements Sampler {
  constructor(
    private readonly mean: number,
    private readonly sd: number,
    private readonly maxMs: number,
    readonly describe: string,
  ) {}

  sample(rng: Random): number {
    for (let draw = 0; draw < MAX_NORMAL_DRAWS; draw++) {
      const ms = this.mean + this.sd * rng.normal();
      // The cap is checked at p99.9 when parsing; the clamp only keeps the rarer tail inside --max-delay.
      if (ms >= 0) return ms > this.maxMs ? this.maxMs : ms;
    }
    return 0;
  }
}

class LogNormalSampler implements Sampler {
  constructor(
    private readonly mu: number,
    private readonly sigma: number,
    private readonly maxMs: number,
    readonly describe: string,
  ) {}

  sample(rng: Random): number {
    const ms = Math.exp(this.mu + this.sigma * rng.normal());
    // As for normal: a safety net for the tail past the p99.9 that parsing checked against the cap.
    return ms > this.maxMs ? this.maxMs : ms;
  }
}

// Piecewise-linear inverse CDF through (0 %, 0 ms) — unless p0 is listed — and every listed point; draws above the
// last listed percentile get its value, so the largest possible sample is the last value.
class TableSampler implements Sampler {
  constructor(
    private readonly percents: Float64Array,
    private readonly values: Float64Array,
    readonly describe: string,
  ) {}

  sample(rng: Random): number {
    const percents = this.percents;
    const values = this.values;
    const last = percents.length - 1;
    const u = rng.next() * 100;
    if (u >= percents[last]) return values[last];
    // Largest i with percents[i] <= u; percents[0] is 0, so i >= 0, and u < percents[last], so i < last.
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (percents[mid] <= u) lo = mid;
      else hi = mid;
    }
    const p0 = percents[lo];
    const v0 = values[lo];
    return v0 + ((values[hi] - v0) * (u - p0)) / (percents[hi] - p0);
  }
}

// Nighthawk's concurrency-based delay: base plus `per` for every other request in flight on the worker, capped
// at --max-delay (the load is not known when parsing, so the cap is applied per draw).
class LinearSampler implements Sampler {
  constructor(
    private readonly base: number,
    private readonly per: number,
    private readonly maxMs: number,
    readonly describe: string,
  ) {}

  sample(_rng: Random, load = 0): number {
    const ms = this.base + this.per * load;
    return ms > this.maxMs ? this.maxMs : ms;
  }
}

interface Points {
  readonly percents: number[];
  readonly values: number[];
}

/**
 * Compiles a latency expression into a Sampler: a duration, weighted durations (`10ms:50,100ms:10`, the rest 0 ms),
 * uniform(a,b), normal(mean,sd), lognormal(p50=a,p99=b), a percentile table (`p50=10ms,p99=100ms`) or linear(base=a,per=b). Throws
 * GrammarError, and nothing else, for bad syntax or when the largest value (p99.9 for normal and lognormal) exceeds maxMs.
 */
export function parseLatency(text: string, param: string, maxMs: number): Sampler {
  const len = text.length;
  if (len === 0) throw Errors.invalid(text, param, 'it is empty');
  if (len > MAX_LENGTH) throw Errors.invalid(text, param, `it is longer than ${MAX_LENGTH} characters`);

  // One pass decides the form, so each form's own errors (not a guess at another form's) reach the user.
  let open = -1;
  let hasEquals = false;
  let hasSeparator = false;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN) {
      if (open === -1) open = i;
    } else if (c === EQUALS) {
      hasEquals = true;
    } else if (c === COLON || c === COMMA) {
      hasSeparator = true;
    }
  }

  if (open !== -1) return parseFunction(text, param, maxMs, open);
  if (hasEquals) return parseTable(text, param, maxMs);
  if (hasSeparator) {
    const choice = parseWeighted(text, param, (valueText, p) => parseDuration(valueText, p, maxMs), 0);
    if (choice.fallbackPercent === 0 && choice.values.length === 1) return constant(choice.values[0]);
    return new WeightedSampler(choice, describeChoice(choice));
  }
  return constant(parseDuration(text, param, maxMs));
}

/** Parses weighted status codes (`503:20,404:10`, the rest 200; or a single `418`); codes are 200 to 599. */
export function parseStatusChoice(text: string, param: string): WeightedChoice<number> {
  return parseWeighted(text, param, parseStatus, 200);
}

/** Parses weighted body sizes (`1KB:50,1MB:1`, the rest 0 bytes; or a single `4KB`), each at most maxBytes (--max-size). */
export function parseSizeChoice(text: string, param: string, maxBytes: number): WeightedChoice<number> {
  return parseWeighted(text, param, (valueText, p) => parseSize(valueText, p, maxBytes), 0);
}

/**
 * Memoizes parseLatency per expression so a repeated request header or query is parsed once. Bounded: it is cleared
 * when full, and when asked with a different maxMs. Errors are not cached, so bad input cannot evict good entries.
 */
export class SamplerCache {
  private readonly entries: BoundedCache<Sampler>;
  private maxMs = Number.NaN;

  /** At most `capacity` expressions and `maxBytes` bytes of them (see BoundedCache). */
  constructor(capacity: number = DEFAULT_CACHE_ENTRIES, maxBytes: number = DefaultCacheBytes) {
    this.entries = new BoundedCache<Sampler>(capacity, maxBytes);
  }

  /** The sampler for text, parsed on first use; throws what parseLatency throws. */
  get(text: string, param: string, maxMs: number): Sampler {
    // A sampler does not depend on param (only its errors do), so the text alone is the key.
    if (maxMs !== this.maxMs) {
      this.entries.clear();
      this.maxMs = maxMs;
    }
    let sampler = this.entries.get(text);
    if (sampler === undefined) {
      sampler = parseLatency(text, param, maxMs);
      this.entries.set(text, sampler);
    }
    return sampler;
  }

  /** How many expressions are cached. */
  get size(): number {
    return this.entries.size;
  }
}

function parseFunction(text: string, param: string, maxMs: number, open: number): Sampler {
  const name = text.slice(0, open);
  if (text.charCodeAt(text.length - 1) !== CLOSE) {
    throw Errors.invalid(text, param, `${quoteValue(`${name}(`)} must be closed by a ")" at the end`);
  }
  const args = text.slice(open + 1, -1);
  switch (name) {
    case 'uniform': {
      const [min, max] = durationPair(text, param, maxMs, args, 'uniform(10ms,50ms)');
      if (min > max) {
        throw Errors.invalid(text, param, `the minimum ${formatDuration(min)} is above the maximum ${formatDuration(max)}`);
      }
      const describe = `uniform(${formatDuration(min)},${formatDuration(max)})`;
      return min === max ? new ConstantSampler(min, describe) : new UniformSampler(min, max, describe);
    }
    case 'normal': {
      const [mean, sd] = durationPair(text, param, maxMs, args, 'normal(50ms,5ms)');
      checkCap(text, param, maxMs, mean + Z999 * sd);
      return new NormalSampler(mean, sd, maxMs, `normal(${formatDuration(mean)},${formatDuration(sd)})`);
    }
    case 'lognormal': {
      const points = parsePoints(text, param, maxMs, args);
      const { percents, values } = points;
      if (percents.length !== 2 || percents[0] !== 50 || percents[1] !== 99) {
        throw Errors.invalid(text, param, 'lognormal takes exactly p50 and p99, such as lognormal(p50=20ms,p99=200ms)');
      }
      const [p50, p99] = values;
      if (p50 === 0) throw Errors.invalid(text, param, 'the p50 of a lognormal must be above 0');
      const mu = Math.log(p50);
      const sigma = (Math.log(p99) - mu) / Z99;
      checkCap(text, param, maxMs, Math.exp(mu + Z999 * sigma));
      return new LogNormalSampler(mu, sigma, maxMs, `lognormal(p50=${formatDuration(p50)},p99=${formatDuration(p99)})`);
    }
    case 'linear':
      return parseLinear(text, param, maxMs, args);
    default:
      throw Errors.invalid(text, param, `unknown distribution ${quoteValue(name)}`);
  }
}

function parseTable(text: string, param: string, maxMs: number): Sampler {
  const { percents, values } = parsePoints(text, param, maxMs, text);
  const describe = describePoints(percents, values);
  // The implicit (p0, 0 ms) start point, unless p0 itself is listed.
  if (percents[0] !== 0) {
    percents.unshift(0);
    values.unshift(0);
  }
  return new TableSampler(Float64Array.from(percents), Float64Array.from(values), describe);
}

// Reads `p50=10ms,p99=100ms` (a table, or lognormal's arguments): percentiles increasing, values non-decreasing.
function parsePoints(text: string, param: string, maxMs: number, list: string): Points {
  const percents: number[] = [];
  const values: number[] = [];
  const len = list.length;
  let start = 0;
  for (let n = 1; start <= len; n++) {
    if (n > MAX_POINTS) throw Errors.invalid(text, param, `it has more than ${MAX_POINTS} percentiles`);
    let end = list.indexOf(',', start);
    if (end === -1) end = len;
    if (end === start) throw Errors.invalid(text, param, `item ${n} is empty; write pN=DURATION such as p99=100ms`);
    const item = list.slice(start, end);
    const equals = item.indexOf('=');
    if (item.charCodeAt(0) !== LOWER_P || equals === -1) {
      throw Errors.invalid(text, param, `item ${n} ${quoteValue(item)} is not pN=DURATION, such as p99=100ms`);
    }
    const percent = Errors.inItem(text, param, n, item, () => parsePercent(item.slice(1, equals), param));
    const ms = Errors.inItem(text, param, n, item, () => parseDuration(item.slice(equals + 1), param, maxMs));
    const count = percents.length;
    if (count > 0 && percent <= percents[count - 1]) {
      throw Errors.invalid(text, param, `percentiles must increase, but p${formatNumber(percent)} follows p${formatNumber(percents[count - 1])}`);
    }
    if (count > 0 && ms < values[count - 1]) {
      throw Errors.invalid(
        text,
        param,
        `values must not decrease, but p${formatNumber(percent)}=${formatDuration(ms)} is below ` +
          `p${formatNumber(percents[count - 1])}=${formatDuration(values[count - 1])}`,
      );
    }
    percents.push(percent);
    values.push(ms);
    start = end + 1;
  }
  return { percents, values };
}

// Reads `base=1ms,per=0.5ms` (either order; base may be left out, 0 ms) inside linear(...).
function parseLinear(text: string, param: string, maxMs: number, args: string): Sampler {
  let base = -1;
  let per = -1;
  const items = args.split(',');
  if (items.length > 2) throw Errors.invalid(text, param, 'linear takes base= and per=, such as linear(base=1ms,per=0.5ms)');
  for (let n = 0; n < items.length; n++) {
    const item = items[n];
    const equals = item.indexOf('=');
    const name = equals === -1 ? '' : item.slice(0, equals);
    if ((name !== 'base' && name !== 'per') || (name === 'base' ? base : per) !== -1) {
      throw Errors.invalid(text, param, `item ${n + 1} ${quoteValue(item)} is not base=DURATION or per=DURATION (each once), such as linear(base=1ms,per=0.5ms)`);
    }
    const ms = Errors.inItem(text, param, n + 1, item, () => parseDuration(item.slice(equals + 1), param, maxMs));
    if (name === 'base') base = ms;
    else per = ms;
  }
  if (per === -1) throw Errors.invalid(text, param, 'linear needs per=, the delay added per request in flight, such as linear(base=1ms,per=0.5ms)');
  if (base === -1) base = 0;
  return new LinearSampler(base, per, maxMs, `linear(base=${formatDuration(base)},per=${formatDuration(per)})`);
}

// Reads `a,b` inside uniform(...) or normal(...).
function durationPair(text: string, param: string, maxMs: number, args: string, example: string): [number, number] {
  const comma = args.indexOf(',');
  if (comma === -1 || args.indexOf(',', comma + 1) !== -1) {
    throw Errors.invalid(text, param, `it takes two durations separated by a comma, such as ${example}`);
  }
  const first = args.slice(0, comma);
  const second = args.slice(comma + 1);
  return [
    Errors.inItem(text, param, 1, first, () => parseDuration(first, param, maxMs)),
    Errors.inItem(text, param, 2, second, () => parseDuration(second, param, maxMs)),
  ];
}

// Each listed value was already capped by parseDuration; this covers the unbounded tails of normal and lognormal.
function checkCap(text: string, param: string, maxMs: number, p999: number): void {
  if (p999 - maxMs > maxMs * CAP_SLACK) {
    throw new GrammarError(
      param,
      `latency ${quoteValue(text)} for ${param} reaches ${formatDuration(p999)} at p99.9, ` +
        `over the maximum ${formatDuration(maxMs)} (--max-delay)`,
    );
  }
}

// Exactly three ASCII digits from 200 to 599 ("0503" is not a status line's code); wholeNumber allocates nothing.
function parseStatus(text: string, param: string): number {
  const code = text.length === 3 ? wholeNumber(text) : -1;
  if (code < 200 || code > 599) throw StatusErrors.invalid(text, param);
  return code;
}

function constant(ms: number): Sampler {
  return new ConstantSampler(ms, formatDuration(ms));
}

function describeChoice(choice: WeightedChoice<number>): string {
  let out = '';
  for (let i = 0; i < choice.values.length; i++) {
    out += `${i === 0 ? '' : ','}${formatDuration(choice.values[i])}:${formatNumber(choice.percents[i])}`;
  }
  return out;
}

function describePoints(percents: readonly number[], values: readonly number[]): string {
  let out = '';
  for (let i = 0; i < percents.length; i++) {
    out += `${i === 0 ? '' : ','}p${formatNumber(percents[i])}=${formatDuration(values[i])}`;
  }
  return out;
}

// A percentage without the exponent form (String(1e-7) is "1e-7") that parsePercent rejects.
function formatNumber(value: number): string {
  let s = Number(value.toPrecision(SIGNIFICANT)).toString();
  const e = s.indexOf('e-');
  if (e !== -1) {
    const digits = s.slice(0, e).replace('.', '');
    s = `0.${'0'.repeat(Number(s.slice(e + 2)) - 1)}${digits}`;
  }
  return s;
}

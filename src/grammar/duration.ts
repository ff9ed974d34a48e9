import { GrammarErrors, quoteValue } from './errors.js';
import { Scan, scanDecimal } from './decimal.js';

// Bounds the scan and keeps every accepted value finite (32 digits of hours is still far below 1e308).
const MAX_LENGTH = 32;
// Enough digits that parseDuration(formatDuration(x)) stays within 1e-11 of x below one second.
const SIGNIFICANT = 12;
// A value within this relative distance of the cap is the cap: the message prints the cap rounded,
// and typing back exactly what the message shows must be accepted.
const CAP_SLACK = 1e-9;

const NS_PER_MS = 1e6;
const NS_PER_US = 1e3;
const NS_PER_S = 1e9;
const NS_PER_MIN = 6e10;
const NS_PER_H = 3.6e12;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const MINUS = 45;
const LOWER_H = 104;
const LOWER_M = 109;
const LOWER_N = 110;
const LOWER_S = 115;
const LOWER_U = 117;
const MICRO_SIGN = 0xb5;
const GREEK_MU = 0x3bc;

const HINT = 'use a number with a unit (ns, us, ms, s, m, h) such as 150ms, 1.5s or 1m30s; a bare number is seconds';
const Errors = new GrammarErrors('duration', HINT);

/**
 * Parses a Go-style duration (`150ms`, `1.5s`, `1m30s`; a bare number is seconds) into milliseconds.
 * Throws GrammarError, and nothing else, for bad syntax or a value over maxMs (the --max-delay cap).
 */
export function parseDuration(text: string, param: string, maxMs: number): number {
  const len = text.length;
  if (len === 0) throw Errors.invalid(text, param, 'it is empty');
  if (len > MAX_LENGTH) throw Errors.invalid(text, param, `it is longer than ${MAX_LENGTH} characters`);

  let totalNs = 0;
  let i = 0;
  // Scans char codes in place: this runs per request for /delay/{duration}, so no regex or slices.
  while (i < len) {
    const groupStart = i;
    scanDecimal(text, i);
    i = Scan.end;
    const mantissa = Scan.mantissa;
    const scale = Scan.scale;
    const c = text.charCodeAt(i);
    if (Scan.dotWithoutDigits) throw Errors.invalid(text, param, 'a dot must be followed by digits');
    if (Scan.noDigits) {
      throw Errors.invalid(text, param, c === MINUS && i === 0 ? 'it is negative' : undefined);
    }

    if (i === len) {
      if (groupStart !== 0) throw Errors.invalid(text, param, 'the last number has no unit');
      totalNs = (mantissa * NS_PER_S) / scale;
      break;
    }

    const unitStart = i;
    let unitNs: number;
    const next = text.charCodeAt(i + 1);
    if (c === LOWER_S) {
      unitNs = NS_PER_S;
      i += 1;
    } else if (c === LOWER_M) {
      if (next === LOWER_S) {
        unitNs = NS_PER_MS;
        i += 2;
      } else {
        unitNs = NS_PER_MIN;
        i += 1;
      }
    } else if (c === LOWER_H) {
      unitNs = NS_PER_H;
      i += 1;
    } else if (c === LOWER_N && next === LOWER_S) {
      unitNs = 1;
      i += 2;
    } else if ((c === LOWER_U || c === MICRO_SIGN || c === GREEK_MU) && next === LOWER_S) {
      unitNs = NS_PER_US;
      i += 2;
    } else if (c === DOT) {
      throw Errors.invalid(text, param, 'a number has more than one dot');
    } else {
      throw Errors.invalid(text, param, `unknown unit ${quoteValue(unitRun(text, i))}`);
    }
    // "3sec" or "1mins" matched a unit prefix; name the whole word rather than complain about a missing number.
    if (isUnitLetter(text.charCodeAt(i))) throw Errors.invalid(text, param, `unknown unit ${quoteValue(unitRun(text, unitStart))}`);
    // Multiply before dividing so integral inputs (1.5s = 15e9 / 10) stay exact.
    totalNs += (mantissa * unitNs) / scale;
  }

  const ms = totalNs / NS_PER_MS;
  if (ms > maxMs) {
    if (ms - maxMs <= maxMs * CAP_SLACK) return maxMs;
    throw Errors.exceeds(text, param, formatDuration(maxMs), '--max-delay');
  }
  return ms;
}

/**
 * Renders milliseconds the way Go prints durations, minus zero fields (`1.5s`, `150ms`, `250us`, `1m30s`, `5m`, `0s`);
 * parseDuration reads it back within a relative 1e-9.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  // Round first so 999.9999999999ms becomes 1s rather than "1000ms".
  const rounded = Number(ms.toPrecision(SIGNIFICANT));
  if (rounded >= 1000) return formatClock(ms);
  if (rounded >= 1) return `${plainDecimal(rounded)}ms`;
  if (rounded >= 1e-3) return `${plainDecimal(rounded * 1e3)}us`;
  return `${plainDecimal(rounded * NS_PER_MS)}ns`;
}

// Splits at least one second into h/m/s with nanosecond resolution, as Go does; BigInt keeps it exact.
function formatClock(ms: number): string {
  const ns = Math.round(ms * NS_PER_MS);
  if (!Number.isFinite(ns)) return `${BigInt(Math.round(ms / 3.6e6))}h`;
  let rest = BigInt(ns);
  const hours = rest / 3_600_000_000_000n;
  rest %= 3_600_000_000_000n;
  const minutes = rest / 60_000_000_000n;
  rest %= 60_000_000_000n;
  const seconds = rest / 1_000_000_000n;
  const fraction = rest % 1_000_000_000n;
  let out = '';
  if (hours > 0n) out += `${hours}h`;
  if (minutes > 0n) out += `${minutes}m`;
  if (fraction > 0n) out += `${seconds}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}s`;
  else if (seconds > 0n) out += `${seconds}s`;
  return out;
}

// toPrecision without the exponent form (which parseDuration rejects) or trailing zeros.
function plainDecimal(value: number): string {
  let s = value.toPrecision(SIGNIFICANT);
  const e = s.indexOf('e');
  if (e !== -1) {
    // Only tiny values get here (value < 1000 always), so the exponent is negative.
    const digits = s.slice(0, e).replace('.', '');
    s = `0.${'0'.repeat(-Number(s.slice(e + 1)) - 1)}${digits}`;
  }
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function isUnitLetter(c: number): boolean {
  const lower = c | 0x20;
  return (lower >= 97 && lower <= 122) || c === MICRO_SIGN || c === GREEK_MU;
}

// The run of non-number characters at i, to name an unknown unit in the message.
function unitRun(text: string, i: number): string {
  let end = i;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === DOT || (c >= DIGIT_0 && c <= DIGIT_9)) break;
    end++;
  }
  return text.slice(i, end);
}


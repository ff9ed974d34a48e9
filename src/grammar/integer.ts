// The one whole-number reader: strict ASCII digits (no sign, space, dot or exponent), at most
// Number.MAX_SAFE_INTEGER. Flags, env values, config values and request text all go through it, so "+5",
// " 5", "5.0", "0x10" and "1e3" are refused the same way everywhere.
import { GrammarError, quoteValue } from './errors.js';

const DIGIT_0 = 48;
const DIGIT_9 = 57;
// MAX_SAFE_INTEGER has 16 digits; a longer text (leading zeros aside) is over it, and the cap bounds the scan.
const MAX_DIGITS = 16;

/**
 * The value of `text` when it is only ASCII digits (leading zeros allowed) and at most MAX_SAFE_INTEGER,
 * else -1. Scans char codes in place and allocates nothing, for per-request use.
 */
export function wholeNumber(text: string): number {
  const len = text.length;
  let i = 0;
  // Leading zeros do not count towards the digit cap ("0008080" is 8080).
  while (i < len - 1 && text.charCodeAt(i) === DIGIT_0) i++;
  if (len === 0 || len - i > MAX_DIGITS) return -1;
  let n = 0;
  for (; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    n = n * 10 + (c - DIGIT_0);
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

/** Largest number a request's query or path may give where no tighter bound applies (9 digits, as before). */
export const MaxQueryNumber = 999_999_999;

/** How a bounded whole number is named and limited in its error message. */
export interface IntegerBounds {
  /** Smallest accepted value (>= 0). */
  readonly min: number;
  /** Largest accepted value (<= MAX_SAFE_INTEGER). */
  readonly max: number;
  /** What the number is, for the message ("port", "worker count"); default "value". */
  readonly what?: string;
  /** Another accepted spelling the caller handles itself, named in the hint ("auto"). */
  readonly or?: string;
  /** Said after the range, e.g. "(0 picks a free port)". */
  readonly note?: string;
}

/**
 * A whole number from bounds.min to bounds.max (see wholeNumber for the syntax); otherwise a GrammarError:
 * `invalid <what> "<text>" for <param>: use [<or> or ]a whole number from <min> to <max>[ <note>]`.
 */
export function parseBoundedInt(text: string, param: string, bounds: IntegerBounds): number {
  const n = wholeNumber(text);
  if (n < bounds.min || n > bounds.max) throw new GrammarError(param, boundedIntMessage(text, param, bounds));
  return n;
}

/** The message parseBoundedInt gives for a rejected `text`, for callers that report it their own way. */
export function boundedIntMessage(text: string, param: string, bounds: IntegerBounds): string {
  const or = bounds.or === undefined ? '' : `${bounds.or} or `;
  const note = bounds.note === undefined ? '' : ` ${bounds.note}`;
  return `invalid ${bounds.what ?? 'value'} ${quoteValue(text)} for ${param}: use ${or}a whole number from ${bounds.min} to ${bounds.max}${note}`;
}

import { GrammarErrors } from './errors.js';
import { Scan, scanDecimal } from './decimal.js';

// Bounds the scan and keeps every accepted value finite.
const MAX_LENGTH = 32;

const KIB = 1024;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;

const MINUS = 45;
// OR-ing 0x20 folds ASCII upper case to lower case and maps no other code onto these letters.
const CASE_BIT = 0x20;
const LOWER_B = 98;
const LOWER_G = 103;
const LOWER_I = 105;
const LOWER_K = 107;
const LOWER_M = 109;
const LOWER_T = 116;

const HINT =
  'use a byte count with an optional unit (B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB; 1K = 1024 bytes) such as 512, 4KB or 1.5MiB';
const Errors = new GrammarErrors('size', HINT);

// Largest unit first, so formatSize picks the shortest exact rendering.
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['TiB', TIB],
  ['GiB', GIB],
  ['MiB', MIB],
  ['KiB', KIB],
];

/**
 * Parses a byte size (`512`, `4KB`, `1.5MiB`, `2G`; units case-insensitive, all binary) into whole bytes, rounded down.
 * Throws GrammarError, and nothing else, for bad syntax or a value over maxBytes (the --max-size cap, unless
 * capName names another).
 */
export function parseSize(text: string, param: string, maxBytes: number, capName = '--max-size'): number {
  const len = text.length;
  if (len === 0) throw Errors.invalid(text, param, 'it is empty');
  if (len > MAX_LENGTH) throw Errors.invalid(text, param, `it is longer than ${MAX_LENGTH} characters`);

  // Scans char codes in place: sizes arrive per request, so no regex or slices.
  scanDecimal(text, 0);
  let i = Scan.end;
  const mantissa = Scan.mantissa;
  const scale = Scan.scale;
  const c = text.charCodeAt(i);
  if (Scan.dotWithoutDigits) throw Errors.invalid(text, param, 'a dot must be followed by digits');
  if (Scan.noDigits) throw Errors.invalid(text, param, c === MINUS ? 'it is negative' : undefined);

  let multiplier = 1;
  if (i < len) {
    const letter = c | CASE_BIT;
    if (letter === LOWER_B) {
      i += 1;
    } else {
      multiplier = unitMultiplier(letter);
      if (multiplier === 0) throw Errors.invalid(text, param, 'unknown unit');
      // K, KB and KiB all mean 1024: accept an optional "B" or "iB" suffix (past the end, NaN | 0x20 matches neither).
      const suffix = text.charCodeAt(++i) | CASE_BIT;
      if (suffix === LOWER_B) i += 1;
      else if (suffix === LOWER_I && (text.charCodeAt(i + 1) | CASE_BIT) === LOWER_B) i += 2;
    }
    if (i !== len) throw Errors.invalid(text, param, 'unknown unit');
  }

  // Multiply before dividing so exact inputs (0.25K = 25 * 1024 / 100) are not rounded below an integer.
  const bytes = Math.floor((mantissa * multiplier) / scale);
  if (bytes > maxBytes) {
    throw Errors.exceeds(text, param, formatSize(maxBytes), capName);
  }
  return bytes;
}

/** Renders bytes in the largest binary unit that stays exact (`256MiB`, `4KiB`, `1.5KiB`, `100B`); parseSize reads it back. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 0) return `-${formatSize(-bytes)}`;
  for (const [name, unit] of UNITS) {
    // A multiple of unit/8 has at most three decimals in that unit (eighths), so the rendering is exact.
    if (bytes >= unit && bytes % (unit / 8) === 0) return `${plainNumber(bytes / unit)}${name}`;
  }
  return `${plainNumber(bytes)}B`;
}

function unitMultiplier(letter: number): number {
  switch (letter) {
    case LOWER_K:
      return KIB;
    case LOWER_M:
      return MIB;
    case LOWER_G:
      return GIB;
    case LOWER_T:
      return TIB;
    default:
      return 0;
  }
}

// String() switches to exponent form at 1e21, which parseSize rejects; BigInt never does.
function plainNumber(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : String(value);
}


import { GrammarError, GrammarErrors } from './errors.js';
import { Scan, scanDecimal } from './decimal.js';

// Bounds the scan, as for durations and sizes.
const MAX_LENGTH = 32;

const HINT = 'use a number from 0 to 100 such as 5 or 12.5';
const Errors = new GrammarErrors('percentage', HINT);

/** Parses a percentage from 0 to 100 (`5`, `12.5`, no `%` sign); throws GrammarError, and nothing else, otherwise. */
export function parsePercent(text: string, param: string): number {
  const len = text.length;
  if (len === 0 || len > MAX_LENGTH) throw Errors.invalid(text, param);

  // Same in-place scan as the duration and size grammars: percentages arrive per request.
  scanDecimal(text, 0);
  if (Scan.noDigits || Scan.dotWithoutDigits || Scan.end !== len) throw Errors.invalid(text, param);
  const percent = Scan.mantissa / Scan.scale;

  if (percent > 100) throw new GrammarError(param, `percentage ${text} for ${param} is over 100: ${HINT}`);
  return percent;
}

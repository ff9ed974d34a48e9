import { GrammarError, quoteValue } from './errors.js';

// Bounds the scan, as for durations and sizes.
const MAX_LENGTH = 32;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;

const HINT = 'use a number from 0 to 100 such as 5 or 12.5';

/** Parses a percentage from 0 to 100 (`5`, `12.5`, no `%` sign); throws GrammarError, and nothing else, otherwise. */
export function parsePercent(text: string, param: string): number {
  const len = text.length;
  if (len === 0 || len > MAX_LENGTH) throw invalid(text, param);

  // Same in-place scan as the duration and size grammars: percentages arrive per request.
  let i = 0;
  let mantissa = 0;
  let scale = 1;
  let c = text.charCodeAt(0);
  while (c >= DIGIT_0 && c <= DIGIT_9) {
    mantissa = mantissa * 10 + (c - DIGIT_0);
    c = text.charCodeAt(++i);
  }
  if (c === DOT) {
    const fractionStart = ++i;
    c = text.charCodeAt(i);
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      mantissa = mantissa * 10 + (c - DIGIT_0);
      scale *= 10;
      c = text.charCodeAt(++i);
    }
    if (i === fractionStart) throw invalid(text, param);
  } else if (i === 0) {
    throw invalid(text, param);
  }
  if (i !== len) throw invalid(text, param);

  const percent = mantissa / scale;
  if (percent > 100) throw new GrammarError(param, `percentage ${text} for ${param} is over 100: ${HINT}`);
  return percent;
}

function invalid(text: string, param: string): GrammarError {
  return new GrammarError(param, `invalid percentage ${quoteValue(text)} for ${param}: ${HINT}`);
}

// The unsigned decimal scanner shared by the duration, size and percent grammars. It reads char codes in
// place and leaves its results in one reused object, so a per-request parse allocates nothing.

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;

/** Results of the last scanDecimal call (valid until the next call). */
export const Scan = {
  /** Digits as an integer (the dot removed); the value is mantissa / scale. */
  mantissa: 0,
  /** 10^(digits after the dot). */
  scale: 1,
  /** Index just past the number. */
  end: 0,
  /** Nothing was consumed: no digits and no dot. */
  noDigits: false,
  /** A dot with no digits after it ("1.", "."). */
  dotWithoutDigits: false,
};

/** Scan `digits[.digits]` (either part may be empty, not both) starting at `start`; results in Scan. */
export function scanDecimal(text: string, start: number): void {
  let i = start;
  let mantissa = 0;
  let scale = 1;
  let c = text.charCodeAt(i);
  while (c >= DIGIT_0 && c <= DIGIT_9) {
    mantissa = mantissa * 10 + (c - DIGIT_0);
    c = text.charCodeAt(++i);
  }
  let dotWithoutDigits = false;
  if (c === DOT) {
    const fractionStart = ++i;
    c = text.charCodeAt(i);
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      mantissa = mantissa * 10 + (c - DIGIT_0);
      scale *= 10;
      c = text.charCodeAt(++i);
    }
    dotWithoutDigits = i === fractionStart;
  }
  Scan.mantissa = mantissa;
  Scan.scale = scale;
  Scan.end = i;
  Scan.noDigits = i === start;
  Scan.dotWithoutDigits = dotWithoutDigits;
}

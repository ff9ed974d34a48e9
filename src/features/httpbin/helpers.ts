// Request readers shared by the httpbin handlers (not hot paths: they allocate).
import { wholeNumber } from '../../grammar/integer.js';
import type { HttpRequest } from '../../http/uws.js';
import { GrammarError, quoteValue } from '../../grammar/errors.js';

/** Headers as httpbin shows them: canonical Title-Case names, repeated values joined with ", ". */
export function readHeaders(req: HttpRequest): Record<string, string> {
  // Keyed by client text: a null prototype, so 'constructor' or '__proto__' are plain keys.
  const out = Object.create(null) as Record<string, string>;
  req.forEach((k, v) => {
    const name = k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
    out[name] = out[name] === undefined ? v : `${out[name]}, ${v}`;
  });
  return out;
}

/** A whole number from the query within [min, max], else GrammarError naming the parameter. */
export function queryInt(req: HttpRequest, name: string, dflt: number, min: number, max: number): number {
  const text = req.getQuery(name) ?? '';
  if (text === '') return dflt;
  const n = wholeNumber(text);
  if (n < min || n > max) {
    throw new GrammarError(name, `invalid ${name} ${quoteValue(text)}: use a whole number from ${min} to ${max}`);
  }
  return n;
}


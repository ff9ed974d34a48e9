// Longest prefix of a rejected value echoed back, so a hostile header cannot flood logs or responses.
const MAX_QUOTED = 40;

/** A rejected duration, size or percentage; the message says what was wrong and how to write it. */
export class GrammarError extends Error {
  /** Where the bad value came from (a path segment, query parameter, header or flag name). */
  readonly param: string;

  constructor(param: string, message: string) {
    super(message);
    this.name = 'GrammarError';
    this.param = param;
  }
}

/** Quotes a rejected value for a message: truncated and JSON-escaped so control characters stay visible. */
export function quoteValue(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

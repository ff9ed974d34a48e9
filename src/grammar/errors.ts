// The grammars' one error type and the builders of their messages, so every grammar words a rejection
// the same way: "invalid <what> "<text>" for <param>: <reason>; <how to write it>".

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

/**
 * The message builders of one grammar: `what` names the thing parsed ("size", "weighted choice") and `hint`
 * says how to write it; every "invalid" message ends with the hint. Built once per grammar module.
 */
export class GrammarErrors {
  constructor(
    readonly what: string,
    readonly hint: string,
  ) {}

  /** `invalid <what> "<text>" for <param>: [<reason>; ]<hint>`. */
  invalid(text: string, param: string, reason?: string): GrammarError {
    const why = reason === undefined ? '' : `${reason}; `;
    return new GrammarError(param, `invalid ${this.what} ${quoteValue(text)} for ${param}: ${why}${this.hint}`);
  }

  /** `<what> <text> for <param> exceeds the maximum <max> (<cap>)`: a well-formed value over its cap. */
  exceeds(text: string, param: string, max: string, cap: string): GrammarError {
    return new GrammarError(param, `${this.what} ${text} for ${param} exceeds the maximum ${max} (${cap})`);
  }

  /**
   * parse(), its GrammarError rethrown with the item of a list it came from, since the same message could
   * fit several items: `invalid <what> "<text>" for <param>, item <n> "<item>": <inner message>`.
   */
  inItem<V>(text: string, param: string, n: number, item: string, parse: () => V): V {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof GrammarError)) throw error;
      throw new GrammarError(param, `invalid ${this.what} ${quoteValue(text)} for ${param}, item ${n} ${quoteValue(item)}: ${error.message}`);
    }
  }
}

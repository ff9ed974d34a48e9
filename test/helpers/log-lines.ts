// The server logs one pino JSON object per line: the one place tests cut its output into lines and read them.

/** One parsed log line. */
export type LogLine = Record<string, unknown>;

/**
 * Cut a stream into lines: feed it every chunk; `onLine` gets each complete line without its newline. A
 * chunk can end mid-line (pipes deliver what is there), so the rest waits for the next chunk.
 */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let partial = '';
  return (chunk) => {
    partial += chunk.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine(line);
    }
  };
}

/** The non-empty lines of a complete output (a last line without its newline counts too). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  const feed = lineSplitter((line) => { if (line !== '') lines.push(line); });
  feed(text.endsWith('\n') ? text : `${text}\n`);
  return lines;
}

/** A log line as an object; null for anything else (a stray print, a partial write, a JSON non-object). */
export function parseLogLine(line: string): LogLine | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as LogLine : null;
}

// Command-line options shared by the runner and the benches run alone.
import { parseArgs } from 'node:util';

/** Options every bench accepts. */
export interface BenchOptions {
  /** Smoke run: 1 round of 2 s instead of 3 rounds of 5 s. */
  quick: boolean;
}

/** Parses argv (without node and the script); rejects unknown options with a usage hint. */
export function parseBenchOptions(argv: readonly string[], usage: string): BenchOptions {
  try {
    const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean', default: false } }, strict: true });
    return { quick: values.quick === true };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nusage: ${usage}`, { cause: err });
  }
}

// The probe command: parse, connect, measure, report, and the exit code (0 done, 2 a threshold exceeded, 1 bad
// arguments or no connection). cli.ts calls it before anything of the server is loaded.
import { parseProbeArgs, ProbeHelp, ProbeUsageError } from './args.js';
import { buildReport, exitCode, formatReport } from './report.js';
import { Tally } from './stats.js';
import { ProbeConnectError, type Transport } from './transport.js';
import { probeSse } from './sse.js';
import { probeWs } from './ws.js';

/** Where cli.ts's early signal handlers forward SIGINT/SIGTERM (the shape of main.ts's EarlySignals). */
export interface ProbeSignals {
  signal: NodeJS.Signals | null;
  handler: ((signal: NodeJS.Signals) => void) | null;
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(`${text}\n`, () => resolve()));
}

/** Run `mock-upstream probe ...argv`; resolves with the exit code once the output is written. */
export async function runProbe(argv: readonly string[], signals: ProbeSignals): Promise<number> {
  let command;
  try {
    command = parseProbeArgs(argv);
  } catch (err) {
    if (!(err instanceof ProbeUsageError)) throw err;
    await write(process.stderr, `mock-upstream probe: ${err.message}`);
    return 1;
  }
  if (command.kind === 'help') {
    await write(process.stdout, ProbeHelp);
    return 0;
  }
  const options = command.options;
  const stop = new AbortController();
  // A signal stops the stream and the report says so (Ctrl-C ends a count=0 probe with its figures).
  signals.handler = () => stop.abort('stopped');
  if (signals.signal !== null) stop.abort('stopped');
  const timer = setTimeout(() => stop.abort('timeout'), options.timeoutMs);
  const tally = new Tally();
  const transport: Transport = options.kind === 'ws' ? probeWs : probeSse;
  let measured;
  try {
    measured = await transport(options, tally, stop.signal);
  } catch (err) {
    if (!(err instanceof ProbeConnectError)) throw err;
    await write(process.stderr, `mock-upstream probe: ${err.message}`);
    return 1;
  } finally {
    clearTimeout(timer);
  }
  const report = buildReport(options, tally.summary(options.expected), measured);
  await write(process.stdout, options.json ? JSON.stringify(report) : formatReport(report));
  return exitCode(report);
}

#!/usr/bin/env node
// Command line entry, kept tiny on purpose: it installs the SIGTERM/SIGINT handlers before anything slow is
// loaded, so a signal during start-up (as PID 1 in a container, a default-handled signal can be lost; otherwise
// it kills with 143) is never lost. A signal before the server started stops cleanly with exit 0 and starts
// nothing; one during start-up lets the start finish, then drains (exit 0). No heavy static imports here: they
// would all load before the first line runs (defaults.ts imports nothing).
import type { EarlySignals } from './main.js';
import { FaultHookEnv, FaultHookPhrase } from './config/defaults.js';

const signals: EarlySignals = { signal: null, handler: null };
// Test-only (fault-hook phrase and an IPC channel): the start-up handshake with test/runtime/early-signal.test.ts.
const handshake = process.send !== undefined && process.env[FaultHookEnv] === FaultHookPhrase;
const onSignal = (signal: NodeJS.Signals): void => {
  if (signals.handler !== null) signals.handler(signal);
  else signals.signal ??= signal;
  if (handshake && process.connected) process.send?.('signal-seen');
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// The handshake: say when the handlers are in, then wait for the test's go-ahead before loading the rest, so
// the test decides whether a signal lands before main.js loads or during start-up, whatever Node's speed
// (a signal before this line gets Node's default action).
if (handshake) {
  process.send?.('signals-ready');
  await new Promise((resolve) => process.once('message', resolve));
  process.disconnect();
}

// `mock-upstream probe URL`: the stream-fidelity client (src/probe/), loaded instead of anything of the server.
if (process.argv[2] === 'probe') {
  const { runProbe } = await import('./probe/run.js');
  runProbe(process.argv.slice(3), signals).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mock-upstream probe: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`, () => process.exit(1));
    },
  );
} else {
  const { main, failUnexpected } = await import('./main.js');
  main(signals).catch(failUnexpected);
}

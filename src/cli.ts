#!/usr/bin/env node
// Command line entry, kept tiny on purpose: it installs the SIGTERM/SIGINT handlers before anything slow is
// loaded, so a signal during start-up (as PID 1 in a container, a default-handled signal can be lost; otherwise
// it kills with 143) is never lost. A signal before the server started stops cleanly with exit 0 and starts
// nothing; one during start-up lets the start finish, then drains (exit 0). No heavy static imports here: they
// would all load before the first line runs (defaults.ts imports nothing).
import type { EarlySignals } from './main.js';
import { FaultHookEnv, FaultHookPhrase } from './config/defaults.js';

const signals: EarlySignals = { signal: null, handler: null };
const onSignal = (signal: NodeJS.Signals): void => {
  if (signals.handler !== null) signals.handler(signal);
  else signals.signal ??= signal;
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// Test-only (fault-hook phrase and an IPC channel): say when the handlers are in, so a test can signal at the
// earliest moment without guessing Node's own boot time (a signal before this line gets Node's default action).
if (process.send !== undefined && process.env[FaultHookEnv] === FaultHookPhrase) process.send('signals-ready', () => process.disconnect());

const { main, failUnexpected } = await import('./main.js');
main(signals).catch(failUnexpected);

#!/usr/bin/env node
// Command line entry, kept tiny on purpose: it installs the SIGTERM/SIGINT handlers before anything slow is
// loaded, so a signal during start-up (as PID 1 in a container, a default-handled signal can be lost; otherwise
// it kills with 143) is never lost. A signal before the server started stops cleanly with exit 0 and starts
// nothing; one during start-up lets the start finish, then drains (exit 0). No static imports here: they would
// all load before the first line runs.
import type { EarlySignals } from './main.js';

const signals: EarlySignals = { signal: null, handler: null };
const onSignal = (signal: NodeJS.Signals): void => {
  if (signals.handler !== null) signals.handler(signal);
  else signals.signal ??= signal;
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

const { main, failUnexpected } = await import('./main.js');
main(signals).catch(failUnexpected);

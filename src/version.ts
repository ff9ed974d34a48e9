// Versions reported by --version, the startup line and (later) build-info metrics.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** This package's version (from package.json, two levels above dist/src). */
export const Version: string = (require('../../package.json') as { version: string }).version;

/** The installed uWebSockets.js package and version, e.g. "@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0". */
export function uwsBuild(): string {
  try {
    const pkg = require('uWebSockets.js/package.json') as { name: string; version: string };
    return `${pkg.name}@${pkg.version}`;
  } catch {
    return 'uWebSockets.js (version unknown)';
  }
}

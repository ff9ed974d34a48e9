// Loads the native uWebSockets.js build, refusing the package's silent pure-JS fallback.
import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';
import type { Engine } from './engine.js';

/** The uWebSockets.js module surface we use (its typings lack a few natives, added here). */
export type Uws = Omit<typeof UwsTypes, 'App' | 'SSLApp'> & {
  _cfg(key: string): void;
  LIBUS_LISTEN_EXCLUSIVE_PORT: number;
  /** Apps as they are: with close(), which the typings lack (so the module satisfies the Engine interface). */
  App(options?: UwsTypes.AppOptions): TemplatedApp;
  SSLApp(options: UwsTypes.AppOptions): TemplatedApp;
};
export type HttpResponse = UwsTypes.HttpResponse;
export type HttpRequest = UwsTypes.HttpRequest;
export type TemplatedApp = UwsTypes.TemplatedApp & {
  close(): void;
  listen(host: string, port: number, options: number, cb: (token: UwsTypes.us_listen_socket | false) => void): TemplatedApp;
};
export type ListenSocket = UwsTypes.us_listen_socket;

/** A problem that stops the server from starting: printed as one line, exit 1. */
export class StartupError extends Error {}

let loaded: Uws | null = null;

/** Load uWebSockets.js once per thread; throws StartupError unless the native binary loaded. */
export function loadUws(): Uws {
  if (loaded !== null) return loaded;
  if (process.env.UWS_USE_FALLBACK) {
    throw new StartupError('UWS_USE_FALLBACK is set: mock-upstream needs the native uWebSockets.js build; unset it');
  }
  const require = createRequire(import.meta.url);
  // The package prints its own multi-line warnings before falling back; capture them so the
  // user sees one clear line from us instead.
  const warn = console.warn;
  const log = console.log;
  let said = '';
  console.warn = console.log = (...args: unknown[]) => { said += args.join(' ') + ' '; };
  let mod: Uws;
  try {
    mod = require('uWebSockets.js') as Uws;
  } catch (err) {
    throw new StartupError(`cannot load uWebSockets.js: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    console.warn = warn;
    console.log = log;
  }
  // Only the native build exports this constant; the JS fallback would run many times slower.
  if (typeof mod.LIBUS_LISTEN_EXCLUSIVE_PORT !== 'number') {
    const reason = said.includes('Cannot find module')
      ? `it has no binary for this Node's ABI ${process.versions.modules}`
      : said.replace(/\s+/g, ' ').match(/Error: [^.]*/)?.[0] ?? 'unsupported platform';
    throw new StartupError(
      `native uWebSockets.js did not load on ${process.platform}-${process.arch} Node ${process.versions.node}${libcDescription()} ` +
      `(${reason}); its build covers Node 16, 18 and 20 on glibc Linux (x64/arm64), macOS and Windows: ` +
      'run on Node 20, or start with --engine portable (node:http, about half the throughput; see docs/engines.md)',
    );
  }
  // Without this every response carries a "uWebSockets: 20" header.
  mod._cfg('silent');
  loaded = mod;
  return mod;
}

/** The loaded native module as an Engine: the same functions, only the name is ours. */
export function nativeEngine(uws: Uws): Engine {
  return {
    // GatewayOptions are the portable engines' (engines.ts never serves them on this one): not passed to uWS.
    name: 'native', App: () => uws.App(), SSLApp: (files) => uws.SSLApp(files), us_listen_socket_close: uws.us_listen_socket_close,
    us_socket_local_port: uws.us_socket_local_port, LIBUS_LISTEN_EXCLUSIVE_PORT: uws.LIBUS_LISTEN_EXCLUSIVE_PORT,
    DISABLED: uws.DISABLED as unknown as number, SHARED_COMPRESSOR: uws.SHARED_COMPRESSOR as unknown as number,
  };
}

/** ", glibc 2.36" (the C library on Linux, for messages about native builds); '' elsewhere. */
export function libcDescription(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  if (glibc !== undefined) return `, glibc ${glibc}`;
  return process.platform === 'linux' ? ', not glibc' : '';
}

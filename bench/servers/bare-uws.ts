// The reference server for the benchmarks: uWebSockets.js doing nothing but
// writing a constant response shaped like mock-upstream's /json/valid, so the
// ratio ours/bare isolates what mock-upstream adds on top of uWS itself.
// Usage: node dist/bench/servers/bare-uws.js <port>
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

// The native App has close() (it stops listening and closes every socket) but
// the bundled typings omit it.
type ClosableApp = Uws.TemplatedApp & { close(): void };

const uWS = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;

// Same length and Content-Type as mock-upstream's /json/valid body, so both
// servers put the same number of bytes on the wire per response.
// Whole ArrayBuffers, as mock-upstream passes its hot bytes: uWS takes them without resolving a view's
// buffer first, so neither server gets an advantage from how it hands bytes over.
const bytes = (s: string): ArrayBuffer => new Uint8Array(Buffer.from(s)).buffer;
const body = bytes('{"time": "2026-11-21 22:32:01.140156640 +0000 UTC m=+1.516171360"}');
const contentTypeName = bytes('Content-Type');
const contentTypeValue = bytes('application/json');

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`bare-uws: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

// Without this uWS adds a `uWebSockets: 20` header mock-upstream does not send.
uWS._cfg('silent');

const app = uWS.App() as ClosableApp;
app.any('/*', (res) => {
  res.writeHeader(contentTypeName, contentTypeValue).end(body);
});
app.listen('127.0.0.1', port, (listenSocket) => {
  if (listenSocket === false) {
    process.stderr.write(`bare-uws: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(1);
  }
});

const shutdown = (): void => {
  app.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

// The reference server for the delay bench: uWebSockets.js answering every
// request with an empty 200 after its own setTimeout(1000), the obvious way to
// hold responses. mock-upstream's /delay/1s instead keeps them in one
// scheduler with a single armed timer; the bench compares the two at 10k
// pending responses.
// Usage: node dist/bench/servers/bare-uws-timeout.js <port>
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

// The native App has close() (it stops listening and closes every socket) but
// the bundled typings omit it.
type ClosableApp = Uws.TemplatedApp & { close(): void };

const uWS = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;

const DelayMs = 1_000;
// Same bytes on the wire as mock-upstream's empty /delay answer (Content-Length: 0, no Content-Type).
const empty = Buffer.alloc(0);

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`bare-uws-timeout: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

// Without this uWS adds a `uWebSockets: 20` header mock-upstream does not send.
uWS._cfg('silent');

const app = uWS.App() as ClosableApp;
app.any('/*', (res) => {
  let aborted = false;
  const timer = setTimeout(() => {
    if (aborted) return;
    // Outside the handler uWS does not cork on its own: without cork the
    // status line, headers and end would go out as separate writes.
    res.cork(() => {
      res.end(empty);
    });
  }, DelayMs);
  // uWS.js refuses a handler that returns without responding or registering
  // onAborted, and touching a response after its client left is an error; a
  // timer kept for a gone client would also be wasted work.
  res.onAborted(() => {
    aborted = true;
    clearTimeout(timer);
  });
});
app.listen('127.0.0.1', port, (listenSocket) => {
  if (listenSocket === false) {
    process.stderr.write(`bare-uws-timeout: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(1);
  }
});

const shutdown = (): void => {
  app.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

// The reference for /ws/echo: uWebSockets.js echoing every WebSocket message and nothing else, with the
// socket settings mock-upstream's WebSocket routes use (src/features/ws/routes.ts) except compression, which
// is off here (mock-upstream negotiates it only when asked, and the bench client never asks), so the ratio
// ours / bare isolates what mock-upstream adds per message. Any plain HTTP request gets an empty 200 (the
// rig's readiness probe). Usage: node dist/bench/servers/bare-uws-ws.js <port>
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import { DefaultWsMaxMessageBytes } from '../../src/config/defaults.js';

type ClosableApp = Uws.TemplatedApp & { close(): void };

const uWS = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`bare-uws-ws: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

uWS._cfg('silent');

const app = uWS.App() as ClosableApp;
app.ws('/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: DefaultWsMaxMessageBytes,
  // As mock-upstream's: the same idle timeout and room to queue.
  idleTimeout: 120,
  maxBackpressure: 2 * (DefaultWsMaxMessageBytes + 1024 * 1024),
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary);
  },
});
app.any('/*', (res) => {
  res.end();
});
app.listen('127.0.0.1', port, (listenSocket) => {
  if (listenSocket === false) {
    process.stderr.write(`bare-uws-ws: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(1);
  }
});

const shutdown = (): void => {
  app.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

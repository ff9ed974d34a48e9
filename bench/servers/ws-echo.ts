// The `ws` package's echo server (what a Node WebSocket upstream usually is): WebSocketServer on node:http,
// every message sent back as it came (binary stays binary), no compression, the same largest message as
// mock-upstream. Any plain HTTP request gets an empty 200 (the rig's readiness probe).
// Usage: node dist/bench/servers/ws-echo.js <port>
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { DefaultWsMaxMessageBytes } from '../../src/config/defaults.js';

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`ws-echo: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

const server = createServer((_req, res) => {
  res.end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: DefaultWsMaxMessageBytes });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
  // A client that vanishes mid-run resets the socket: not a reason to stop the server.
  ws.on('error', () => undefined);
});
server.listen(port, '127.0.0.1');
server.on('error', (err) => {
  process.stderr.write(`ws-echo: ${err.message}\n`);
  process.exit(1);
});

const shutdown = (): void => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

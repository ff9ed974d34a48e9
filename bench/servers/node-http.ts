// Node's own http module answering every request with the body and
// Content-Type of bench/servers/bare-uws.ts: the peer a Node.js user would
// reach for first.
// Usage: node dist/bench/servers/node-http.js <port>
import { createServer } from 'node:http';

const body = Buffer.from('{"time": "2026-11-21 22:32:01.140156640 +0000 UTC m=+1.516171360"}');
const headers = { 'Content-Type': 'application/json', 'Content-Length': String(body.length) };

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`node-http: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(port, '127.0.0.1');
server.once('error', (err) => {
  process.stderr.write(`node-http: ${err.message}\n`);
  process.exit(1);
});

const shutdown = (): void => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

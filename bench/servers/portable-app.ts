// mock-upstream's own app (every route, controls, admin) on the portable engine (node:http), one worker,
// in one thread: what `--engine portable` will serve, until the CLI has that flag.
// Usage: node dist/bench/servers/portable-app.js <port>
import { createApp } from '../../src/app/app.js';
import { parseCommand } from '../../src/config/options.js';
import { createPortableEngine } from '../../src/http/portable/engine.js';

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`portable-app: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}
const cmd = parseCommand(['--workers', '1', '--host', '127.0.0.1', '--port', String(port)], {});
if (cmd.kind !== 'serve') throw new Error('portable-app: the options did not parse to a server');
const engine = createPortableEngine();
const { app } = createApp(engine, { config: cmd.config, port, startedAt: Date.now(), workerIndex: 0 });
app.listen('127.0.0.1', port, (token) => {
  if (token === false) {
    process.stderr.write(`portable-app: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(1);
  }
});

const shutdown = (): void => {
  app.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

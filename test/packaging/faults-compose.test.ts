// examples/faults: nginx in front of mock-upstream and a one-shot curl that sends each fault through it. No
// Docker engine here or in CI, so the wiring is checked statically and the moving parts are run for real: the
// example's proxied location in a local nginx, in front of a local server, and check.sh against it; its rows
// must be docs/faults.md's table ("What nginx makes of each fault"), which faults-nginx.test.ts checks too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseCommand } from '../../src/config/options.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { run } from '../helpers/h2.js';

const Dir = fileURLToPath(new URL('../../../examples/faults/', import.meta.url));
const FaultsPage = fileURLToPath(new URL('../../../docs/faults.md', import.meta.url));

interface Service {
  image?: string; build?: string; entrypoint?: string[]; environment?: Record<string, string>; volumes?: string[];
  depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] };
}
const doc = parse(readFileSync(join(Dir, 'compose.yaml'), 'utf8')) as { services: Record<string, Service> };
const nginxConf = readFileSync(join(Dir, 'nginx.conf'), 'utf8');

/** The lines inside the config's `location / { … }` block. */
function proxiedLocation(conf: string): string[] {
  const m = /\n\s*location \/ \{\n([\s\S]*?)\n\s*\}/.exec(conf);
  assert.ok(m !== null, 'nginx.conf has a `location / { … }` block');
  return m[1].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** `| fault | status |` rows of a markdown table, fault without backticks; only rows whose fault is in backticks. */
function rows(text: string): [string, string][] {
  return [...text.matchAll(/^\| `([^`]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]);
}

describe('examples/faults/compose.yaml', () => {
  it('is wired as documented: upstream healthy -> gateway healthy -> check', () => {
    const { upstream, gateway, check } = doc.services;
    assert.equal(upstream.build, '../..');
    const cmd = parseCommand([], { ...upstream.environment });
    assert.equal(cmd.kind, 'serve');
    // hang must outlast nginx's proxy_read_timeout (1s) and end before curl's --max-time (20 s).
    assert.equal((cmd as { config: { maxDelayMs: number } }).config.maxDelayMs, 10_000);
    assert.equal(gateway.depends_on?.upstream.condition, 'service_healthy');
    assert.equal(check.depends_on?.gateway.condition, 'service_healthy');
    assert.match(gateway.image ?? '', /^nginx:1\.22/);
    for (const s of [gateway, check]) {
      for (const v of s.volumes ?? []) assert.ok(existsSync(join(Dir, v.split(':')[0])), `${v}: its source exists`);
    }
    assert.deepEqual(check.entrypoint, ['sh', '/check.sh']);
    assert.equal(check.environment?.GATEWAY, 'http://gateway:8080');
    assert.match(nginxConf, /proxy_pass http:\/\/upstream:8000;/);
    assert.match(nginxConf, /location = \/__gateway\/health/);
  });

  describe('check.sh through the example\'s nginx location', () => {
    let server: TestServer;
    let nginx: TestNginx;
    before(async () => {
      server = await startServer(['--max-delay', '10s']);
      const lines = proxiedLocation(nginxConf).map((l) => l.replace('upstream:8000', `127.0.0.1:${server.port}`));
      nginx = await startNginx(['location / {', ...lines.map((l) => `  ${l}`), '}']);
    });
    after(async () => {
      await nginx?.stop();
      await server?.stop();
    });

    it('prints docs/faults.md\'s table, and the gateway serves on', async () => {
      const r = await run('env', [`GATEWAY=http://127.0.0.1:${nginx.port}`, 'sh', join(Dir, 'check.sh')], 120_000);
      assert.equal(r.code, 0, `check.sh failed:\n${r.stdout}${r.stderr}\n${nginx.errorLog().slice(-2000)}`);
      const page = readFileSync(FaultsPage, 'utf8');
      const section = page.slice(page.indexOf('## What nginx makes of each fault'));
      const expected = rows(section.slice(0, section.indexOf('\n## ', 3)));
      assert.equal(expected.length, 9, 'the page lists every fault kind');
      assert.deepEqual(rows(r.stdout), expected, r.stdout);
      assert.match(r.stdout, /^\| \(none\) \| 200 \|$/m);
    });
  });
});

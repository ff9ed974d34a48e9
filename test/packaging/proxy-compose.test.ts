// examples/proxy-protocol: HAProxy (send-proxy-v2) in front of mock-upstream, checked statically (no Docker
// engine here or in CI): the upstream's environment turns the PROXY protocol on and is a valid config, the
// health check uses the admin port (the data port takes PROXY connections only), the HAProxy config sends
// PROXY v2 to upstream:8000 and is accepted by haproxy itself (-c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseCommand } from '../../src/config/options.js';
import { haproxyPath } from '../helpers/haproxy.js';

const Dir = fileURLToPath(new URL('../../../examples/proxy-protocol/', import.meta.url));

interface Doc { services: Record<string, { environment?: Record<string, string>; healthcheck?: { test: string[] }; volumes?: string[]; depends_on?: Record<string, { condition: string }> }> }

test('the proxy-protocol compose example is wired as documented', () => {
  const doc = parse(readFileSync(join(Dir, 'compose.yaml'), 'utf8')) as Doc;
  const up = doc.services.upstream;
  const cmd = parseCommand([], { ...up.environment });
  assert.equal(cmd.kind, 'serve');
  const config = (cmd as { config: { proxyProtocol: boolean; adminPort: number | null } }).config;
  assert.equal(config.proxyProtocol, true);
  assert.equal(config.adminPort, 8001);
  assert.match(up.healthcheck?.test.join(' ') ?? '', /127\.0\.0\.1:8001\/__mock\/health/);
  const proxy = doc.services.proxy;
  assert.equal(proxy.depends_on?.upstream.condition, 'service_healthy');
  const [source] = (proxy.volumes ?? [])[0].split(':');
  assert.ok(existsSync(join(Dir, source)), source);
  const cfg = readFileSync(join(Dir, source), 'utf8');
  assert.match(cfg, /server \S+ upstream:8000 send-proxy-v2/);
  // haproxy's own check, with the upstream's name resolvable here.
  const tmp = mkdtempSync(join(tmpdir(), 'mock-haproxy-check-'));
  const local = join(tmp, 'haproxy.cfg');
  writeFileSync(local, cfg.replace('upstream:8000', '127.0.0.1:8000'));
  execFileSync(haproxyPath(), ['-c', '-f', local], { stdio: 'pipe' });
});

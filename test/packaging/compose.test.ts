// bench/compose: the load -> gateway -> upstream rig, checked statically (no Docker engine here or in
// CI): the services and their wiring, health-gated start order, bind-mounted files that really exist,
// and an nginx config that pools keep-alive connections to upstream:8000 and drops idle ones before the
// upstream's own idle timeout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DockerfileParser } from 'dockerfile-ast';

const RepoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ComposeFile = join(RepoRoot, 'bench/compose/compose.yaml');
const ComposeDir = dirname(ComposeFile);

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  entrypoint?: string | string[];
  command?: string | string[];
}
interface ComposeDoc { services?: Record<string, Service>; volumes?: Record<string, unknown> }

/** Parse a compose port entry (short or long syntax) into published/target container ports. */
export function parsePort(p: string | number | { target: number; published?: string | number }): { published: number | null; target: number } {
  if (typeof p === 'object') return { published: p.published === undefined ? null : Number(p.published), target: Number(p.target) };
  // [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]; IPv6 host addresses come bracketed.
  const parts = String(p).replace(/\/(tcp|udp)$/, '').replace(/^\[[^\]]*\]:/, '').split(':');
  const target = Number(parts[parts.length - 1]);
  const published = parts.length >= 2 ? Number(parts[parts.length - 2]) : null;
  return { published, target };
}

/** A service's bind mounts as [host source, container target]; named volumes are left out. */
export function bindMounts(s: Service): [string, string][] {
  const out: [string, string][] = [];
  for (const v of s.volumes ?? []) {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      // Short syntax: a source that looks like a path is a bind mount, a bare name is a named volume.
      if (/^[./~]/.test(source) && target !== undefined) out.push([source, target]);
    } else if (v.type === 'bind' && v.source !== undefined && v.target !== undefined) {
      out.push([v.source, v.target]);
    }
  }
  return out;
}

/** depends_on in either syntax, as service -> condition (the short syntax means service_started). */
function dependencies(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

/** An nginx time value ("5s", "500ms", "1m30s", "10" = seconds) in seconds; NaN when malformed. */
export function nginxSeconds(v: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, M: 2_592_000, y: 31_536_000 };
  if (/^\d+$/.test(v)) return Number(v);
  const parts = [...v.matchAll(/(\d+)(ms|[smhdwMy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) return NaN;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** The argv of a command given as a list, or as a string split on whitespace (Compose's own rule for strings without quotes). */
function argv(c: string | string[] | undefined): string[] {
  return c === undefined ? [] : Array.isArray(c) ? c : c.trim().split(/\s+/);
}

test('nginxSeconds reads nginx time values', () => {
  assert.deepEqual(['5s', '10', '500ms', '1m30s', '60s', 'soon', '5 s', ''].map(nginxSeconds), [5, 10, 0.5, 90, 60, NaN, NaN, NaN]);
});

describe('bench/compose/compose.yaml', () => {
  const doc = parse(readFileSync(ComposeFile, 'utf8')) as ComposeDoc;
  const services = doc.services ?? {};

  test('has the upstream, gateway and load services', () => {
    assert.deepEqual(Object.keys(services).sort(), ['gateway', 'load', 'upstream']);
  });

  test('upstream is built from the repository Dockerfile, tagged mock-upstream, on port 8000', () => {
    const up = services.upstream;
    const build = typeof up.build === 'string' ? { context: up.build } : (up.build ?? {});
    assert.ok(build.context, 'upstream has a build context');
    const context = resolve(ComposeDir, build.context);
    assert.equal(resolve(context), resolve(RepoRoot), 'builds the repository root');
    assert.ok(existsSync(join(context, build.dockerfile ?? 'Dockerfile')), 'the Dockerfile exists in the build context');
    assert.equal(up.image, 'mock-upstream');
    assert.ok((up.ports ?? []).map(parsePort).some((p) => p.target === 8000), 'publishes container port 8000');
  });

  test('upstream health is checked with node exactly as the Dockerfile HEALTHCHECK does', () => {
    const df = DockerfileParser.parse(readFileSync(join(RepoRoot, 'Dockerfile'), 'utf8'));
    const checks = df.getHEALTHCHECKs();
    assert.ok(checks.length > 0, 'the Dockerfile has a HEALTHCHECK');
    const content = (checks[checks.length - 1].getArgumentsContent() ?? '').replace(/^\s*CMD\s+/i, '');
    const dockerfileCmd = JSON.parse(content) as string[];
    const test = services.upstream.healthcheck?.test;
    assert.ok(Array.isArray(test), 'healthcheck.test in exec (list) form');
    assert.equal(test[0], 'CMD');
    // Kept identical so a change to one cannot silently diverge from the other.
    assert.deepEqual(test.slice(1), dockerfileCmd);
    assert.equal(test[1], 'node');
    assert.match(test.join(' '), /\/__mock\/health/);
  });

  test('start order waits on health: gateway after a healthy upstream, load after a healthy gateway', () => {
    assert.equal(dependencies(services.gateway).upstream, 'service_healthy');
    assert.equal(dependencies(services.load).gateway, 'service_healthy');
    // A service_healthy dependency on a service without a healthcheck would never start.
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependencies(s))) {
        assert.ok(services[dep], `${name} depends on a defined service (${dep})`);
        if (condition === 'service_healthy') {
          assert.ok(services[dep].healthcheck?.test && !services[dep].healthcheck?.disable, `${dep} has a healthcheck (${name} waits for it)`);
        }
      }
    }
  });

  test('gateway is nginx on port 8080 and load hits http://gateway:8080/json/valid', () => {
    assert.match(services.gateway.image ?? '', /^nginx:/);
    assert.ok((services.gateway.ports ?? []).map(parsePort).some((p) => p.target === 8080), 'gateway publishes 8080');
    const load = [...argv(services.load.entrypoint), ...argv(services.load.command)];
    assert.ok(services.load.image, 'load has an image');
    assert.ok(load.includes('http://gateway:8080/json/valid'), `load command: ${load.join(' ')}`);
  });

  test('every bind-mounted host file exists relative to the compose file; named volumes are declared', () => {
    let binds = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const [source] of bindMounts(s)) {
        binds++;
        const host = isAbsolute(source) ? source : resolve(ComposeDir, source);
        assert.ok(existsSync(host), `${name}: bind-mount source ${source} exists (${host})`);
      }
      for (const v of s.volumes ?? []) {
        const named = typeof v === 'string' ? (/^[./~]/.test(v) || !v.includes(':') ? null : v.split(':')[0]) : v.type === 'volume' ? v.source ?? null : null;
        if (named !== null) assert.ok(doc.volumes && named in doc.volumes, `${name}: named volume ${named} is declared`);
      }
    }
    assert.ok(binds > 0, 'the gateway config is bind-mounted');
  });

  test('nginx.conf (the one the gateway mounts) proxies to upstream:8000 through a keep-alive pool on 8080', () => {
    const mount = bindMounts(services.gateway).find(([, target]) => /^\/etc\/nginx\//.test(target));
    assert.ok(mount, 'gateway mounts an nginx config');
    const path = resolve(ComposeDir, mount[0]);
    assert.ok(statSync(path).isFile());
    const conf = readFileSync(path, 'utf8').replace(/#[^\n]*/g, '');
    const pools = [...conf.matchAll(/\bupstream\s+([\w.-]+)\s*\{([^}]*)\}/g)];
    const pool = pools.find((m) => /\bserver\s+upstream:8000\b/.test(m[2]));
    assert.ok(pool, 'an upstream {} block with `server upstream:8000`');
    assert.match(pool[2], /\bkeepalive\s+\d+\s*;/, 'the pool keeps idle connections (keepalive N)');
    // uWebSockets.js closes a connection ~10 s after its last byte (README, Limits): the pool must drop
    // idle connections first, or nginx sends requests on connections as they close. nginx's default is 60s.
    const idle = [...pool[2].matchAll(/\bkeepalive_timeout\s+(\S+)\s*;/g)].map((m) => m[1]);
    assert.equal(idle.length, 1, 'the pool sets keepalive_timeout (nginx defaults to 60s)');
    const idleS = nginxSeconds(idle[0]);
    assert.ok(idleS > 0 && idleS < 10, `upstream keepalive_timeout ${idle[0]} is below mock-upstream's ~10 s idle timeout`);
    assert.match(conf, new RegExp(`\\bproxy_pass\\s+http://${pool[1].replace(/[.]/g, '\\.')}\\s*;`), `proxy_pass http://${pool[1]}`);
    // Both are required for nginx to reuse pooled connections to the upstream.
    assert.match(conf, /\bproxy_http_version\s+1\.1\s*;/);
    assert.match(conf, /\bproxy_set_header\s+Connection\s+""\s*;/);
    assert.match(conf, /\blisten\s+8080\s*;/, 'listens on the port the load service targets');
    // The gateway's healthcheck must ask a path nginx answers itself, or it would only mirror the upstream.
    const healthUrl = argv(services.gateway.healthcheck?.test).find((w) => /^https?:\/\//.test(w));
    assert.ok(healthUrl, 'gateway healthcheck asks a URL');
    const healthPath = new URL(healthUrl).pathname;
    assert.ok(conf.includes(`location = ${healthPath} `) || conf.includes(`location = ${healthPath}{`), `nginx has location = ${healthPath}`);
  });
});

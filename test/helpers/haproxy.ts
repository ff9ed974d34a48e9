// HAProxy in front of a test server (PROXY protocol tests): a TCP frontend per backend line, run in the
// foreground from a temp directory holding its config. Bounded startup wait, always stopped. CI installs
// haproxy (.ci/run): a missing haproxy fails the test that asked for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { accepts, freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running HAProxy: one frontend port per server line asked for. */
export interface TestHaproxy {
  readonly ports: readonly number[];
  readonly config: string;
  stop(): Promise<void>;
}

const StartTimeoutMs = 10_000;
const StopTimeoutMs = 5_000;

/** Where haproxy is looked for: $HAPROXY, then the Debian path. */
export function haproxyPath(): string {
  for (const c of [process.env.HAPROXY, '/usr/sbin/haproxy', '/usr/local/sbin/haproxy']) if (c !== undefined && c !== '' && existsSync(c)) return c;
  throw new Error('haproxy is not installed (looked in $HAPROXY, /usr/sbin, /usr/local/sbin): install haproxy, as .ci/run does');
}

/**
 * Start HAProxy in TCP mode with one frontend per entry of `servers`, each a `server` line's parameters after
 * the address (e.g. "send-proxy", "send-proxy-v2") towards 127.0.0.1:backendPort. Resolves once every port accepts.
 */
export async function startHaproxy(backendPort: number, servers: readonly string[]): Promise<TestHaproxy> {
  const haproxy = haproxyPath();
  const dir = mkdtempSync(join(tmpdir(), 'mock-upstream-haproxy-'));
  const ports: number[] = [];
  for (let i = 0; i < servers.length; i++) ports.push(await freePort());
  const config = [
    'global', '  maxconn 256',
    'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s',
    ...servers.flatMap((params, i) => [
      `frontend f${i}`, `  bind 127.0.0.1:${ports[i]}`, `  default_backend b${i}`,
      `backend b${i}`, `  server s${i} 127.0.0.1:${backendPort} ${params}`,
    ]),
    '',
  ].join('\n');
  const confPath = join(dir, 'haproxy.cfg');
  writeFileSync(confPath, config);
  const proc: ChildProcess = spawn(haproxy, ['-f', confPath, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  let gone = false;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => { gone = true; resolve(); }));
  const stop = async (): Promise<void> => {
    if (!gone) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), StopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Bounded wait: haproxy says nothing when ready, so each port is tried (every 20 ms, at most StartTimeoutMs).
  const deadline = performance.now() + StartTimeoutMs;
  for (const port of ports) {
    for (;;) {
      if (gone) {
        await stop();
        throw new Error(`haproxy exited before listening; output: ${output}\nconfig:\n${config}`);
      }
      if (await accepts(port)) break;
      if (performance.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not listen on ${port} within ${StartTimeoutMs} ms; output: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return { ports, config, stop };
}

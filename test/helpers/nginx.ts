// nginx in front of a test server: a reverse proxy a test configures with a few `server { … }` lines, run as a
// child in the foreground from a temp directory that holds its config, pid, logs and temp files (so it runs
// without root and leaves nothing behind). CI installs nginx (.ci/run): a missing nginx fails the
// test that asked for it rather than skipping it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { accepts, freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where nginx is looked for: $NGINX, then the Debian path, then PATH. */
export function nginxPath(): string {
  const candidates = [process.env.NGINX, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
  for (const c of candidates) if (c !== undefined && c !== '' && existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== '') return found;
  throw new Error('nginx is not installed (looked in $NGINX, /usr/sbin, /usr/local and PATH): install nginx, as .ci/run does');
}

/** A running nginx. */
export interface TestNginx {
  readonly port: number;
  /** The config it runs (for failure messages). */
  readonly config: string;
  /** Its error log so far. */
  errorLog(): string;
  /** Stop it (SIGTERM, SIGKILL after 5 s) and remove its directory. */
  stop(): Promise<void>;
}

// Temp directories of modules nginx creates at startup unless moved; a build without the module rejects the
// directive, so only those present are moved.
const TempPathModules = ['proxy', 'fastcgi', 'uwsgi', 'scgi'] as const;
const StartTimeoutMs = 10_000;
const StopTimeoutMs = 5_000;

/**
 * Start nginx listening on 127.0.0.1 (a free port) with `serverLines` inside its `server { … }` block (and
 * `httpLines` inside `http { … }`; `listenParams` after the listen address, e.g. "http2"); resolves once the port accepts connections.
 */
export async function startNginx(serverLines: readonly string[], httpLines: readonly string[] = [], listenParams = ''): Promise<TestNginx> {
  const nginx = nginxPath();
  const version = spawnSync(nginx, ['-V'], { encoding: 'utf8' });
  const configure = `${version.stdout}${version.stderr}`;
  const dir = mkdtempSync(join(tmpdir(), 'mock-upstream-nginx-'));
  const port = await freePort();
  const errorLogPath = join(dir, 'error.log');
  const config = [
    'worker_processes 1;',
    // As root the worker would otherwise switch to nobody/www-data, which cannot use this 0700 directory.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${errorLogPath} info;`,
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${join(dir, 'client_body')};`,
    ...TempPathModules.filter((m) => !configure.includes(`--without-http_${m}_module`)).map((m) => `  ${m}_temp_path ${join(dir, m)};`),
    ...httpLines.map((l) => `  ${l}`),
    '  server {',
    `    listen 127.0.0.1:${port}${listenParams === '' ? '' : ` ${listenParams}`};`,
    ...serverLines.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, config);
  const errorLog = (): string => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');

  // -e: the log for errors before the config is read (else a compiled-in path that may not be writable).
  const proc: ChildProcess = spawn(nginx, ['-p', `${dir}/`, '-c', confPath, '-e', errorLogPath, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => { gone = true; });
  const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));

  const stop = async (): Promise<void> => {
    if (!gone) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), StopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Bounded wait for the port: nginx says nothing on stdout when it is ready, so poll the port (every 20 ms,
  // at most StartTimeoutMs), failing at once if nginx exits (a bad config, the port taken meanwhile).
  const deadline = performance.now() + StartTimeoutMs;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
    if (failed !== null) {
      await stop();
      throw new Error(`cannot run ${nginx}: ${failed.message}`);
    }
    if (gone) {
      const log = errorLog();
      await stop();
      throw new Error(`nginx exited before listening; output: ${output}\nerror.log:\n${log}\nconfig:\n${config}`);
    }
    if (await accepts(port)) break;
    if (performance.now() > deadline) {
      const log = errorLog();
      await stop();
      throw new Error(`nginx did not listen on ${port} within ${StartTimeoutMs} ms; error.log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, config, errorLog, stop };
}

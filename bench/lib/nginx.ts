// nginx from a config the bench generates under bench/.work/<name>/: one
// worker process, in the foreground, every path it writes kept in that
// directory. Used by the peers (nginx answering a constant), gateway (nginx
// proxying to mock-upstream) and large-body (nginx sending a static file) benches.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCommand } from './apt.js';
import { fromRoot, workDir } from './paths.js';
import { runCaptured } from './proc.js';
import type { ServerSpec } from './server.js';

// Modules whose temp directories nginx creates at startup under the
// compiled-in /var/lib/nginx unless the config moves them; a build without the
// module rejects the directive, so only those present are moved.
const TempPathModules = ['proxy', 'fastcgi', 'uwsgi', 'scgi'] as const;

/** What the generated nginx runs. */
export interface NginxOptions {
  /** Log-file/table id and directory name under bench/.work. */
  name: string;
  /** Lines inside `http { … }` besides the defaults (upstream blocks), given the listen port. */
  httpLines?: (port: number) => string[];
  /** Lines inside `server { … }` after `listen`. */
  serverLines: (port: number) => string[];
  readyPath: string;
  /** Log requests to access.log in the config's directory (nginx's usual setup); off when absent. */
  accessLog?: boolean;
}

/** Directory of the generated config and logs. */
export function nginxDir(name: string): string {
  return join(workDir(), name);
}

/** Master pid from the pid file the generated config names, or undefined. */
export function nginxMasterPid(name: string): number | undefined {
  const file = join(nginxDir(name), 'nginx.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Pids of the children of pid (nginx's workers under its master), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Spec of nginx with 1 worker process and the given server block, installing nginx-light when missing. */
export async function nginxSpec(options: NginxOptions): Promise<ServerSpec> {
  const nginx = await ensureCommand('nginx', 'nginx-light', 'https://nginx.org');
  const version = await runCaptured(nginx, ['-V'], { timeoutMs: 10_000 });
  const configure = version.stdout + version.stderr;
  const dir = nginxDir(options.name);
  mkdirSync(dir, { recursive: true });
  const tempPaths = [
    `client_body_temp_path ${join(dir, 'client_body')};`,
    ...TempPathModules.filter((m) => !configure.includes(`--without-http_${m}_module`)).map((m) => `${m}_temp_path ${join(dir, m)};`),
  ];
  const writeConf = (port: number): void => {
    const lines = [
      'worker_processes 1;',
      'daemon off;',
      // As root the worker would otherwise run as www-data, which may not be able to read the checkout.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      // Off unless asked: a log line per request would be the main cost of a tiny response.
      options.accessLog === true ? `  access_log ${join(dir, 'access.log')};` : '  access_log off;',
      // mock-upstream never closes a keep-alive connection; nginx's default closes one every 1000 requests.
      '  keepalive_requests 1000000;',
      ...tempPaths.map((line) => `  ${line}`),
      ...(options.httpLines?.(port) ?? []).map((line) => `  ${line}`),
      '  server {',
      `    listen 127.0.0.1:${port};`,
      ...options.serverLines(port).map((line) => `    ${line}`),
      '  }',
      '}',
      '',
    ];
    writeFileSync(join(dir, 'nginx.conf'), lines.join('\n'));
  };
  return {
    name: options.name,
    command: nginx,
    displayCommand: 'nginx',
    // -c and -e are relative to the -p prefix. -e is the log for errors before the
    // config is read (else the compiled-in path, /var/log/nginx on some builds).
    args: () => ['-p', `${fromRoot(dir)}/`, '-c', 'nginx.conf', '-e', 'error.log'],
    readyPath: options.readyPath,
    beforeStart: writeConf,
  };
}

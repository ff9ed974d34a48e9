// HTTP/2 test clients: node:http2 sessions (one per call unless given), curl, h2load and nghttp (Debian's
// nghttp2-client) as child processes, and a throwaway TLS certificate.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/** One HTTP/2 answer. */
export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The --h2-port of a server started with --h2-port 0 (from its listening line). */
export async function h2PortOf(server: TestServer): Promise<number> {
  const line = await server.waitForLine((l) => l.event === 'listening');
  const port = line.h2Port;
  if (typeof port !== 'number') throw new Error(`no h2Port in the listening line: ${JSON.stringify(line)}`);
  return port;
}

/** Open an h2c (or h2 over TLS, self-signed accepted) session; rejects on a connection error. */
export function h2Session(port: number, tls = false): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, tls ? { rejectUnauthorized: false } : {});
    s.once('error', reject);
    s.once('connect', () => { s.removeListener('error', reject); s.on('error', () => {}); resolve(s); });
  });
}

/** One request on `session` (or on a fresh h2c session to port, closed after). */
export async function h2Ask(target: number | ClientHttp2Session, method: string, path: string,
  headers: OutgoingHttpHeaders = {}, body?: string | Buffer, timeoutMs = 10_000): Promise<H2Answer> {
  const session = typeof target === 'number' ? await h2Session(target) : target;
  try {
    return await new Promise<H2Answer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
      const stream = session.request({ ':method': method, ':path': path, ...headers });
      const chunks: Buffer[] = [];
      let head: IncomingHttpHeaders = {};
      stream.on('response', (h) => { head = h; });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => { clearTimeout(timer); resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }); });
      stream.on('error', (e) => { clearTimeout(timer); reject(e); });
      stream.end(body);
    });
  } finally {
    if (typeof target === 'number') session.close();
  }
}

/** Run a command to completion; resolves with its exit code and output (rejects only when it cannot start). */
export function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' }, (err, stdout, stderr) => {
      if (err !== null && typeof (err as NodeJS.ErrnoException).code === 'string') { reject(err); return; }
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

/** Whether a command is on PATH (the h2 tools come from Debian's nghttp2-client). */
export function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for localhost: { cert, key } file paths. */
export function tlsFiles(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'h2-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

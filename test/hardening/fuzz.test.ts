// Fuzz pass (issue 15): seeded random request heads, hostile bodies (deep nesting, huge tokens, invalid
// UTF-8, truncation) and admin payloads sent byte for byte over raw sockets to a live server with two
// workers. Each request must get an answer (or a close, or silence, only where the case says why), never
// an unrequested 5xx; after each batch the process is alive, /__mock/health answers 200 on a fresh
// connection and no worker restarted. FUZZ_SEED and FUZZ_BATCHES explore other sequences by hand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';
import { rawRequest, startServer, type TestServer } from '../helpers/server.js';
import { adminCase, bodyCase, headCase, pipelineCase, Rng, type FuzzCase } from './fuzz-gen.js';

const Seed = Number(process.env.FUZZ_SEED ?? 20261215);
const Batches = Number(process.env.FUZZ_BATCHES ?? 8);
const BatchSize = 50;
/** FUZZ_FAMILIES=head,body,admin,pipeline narrows a hand run to some generators (all by default). */
const Families = (process.env.FUZZ_FAMILIES ?? 'head,body,admin,pipeline').split(',');
/** Requests in flight at once (each on its own connection). */
const Parallel = 8;
/** No answer within this is a hang, unless the case explains it. */
const AnswerMs = 2_000;
/** /__mock/health on a fresh connection after a batch must answer within this. */
const HealthMs = 3_000;

type Outcome = { kind: 'answered'; status: number; raw: string } | { kind: 'closed' } | { kind: 'silent' };

/** Send one case on a fresh socket; the outcome once a status line arrives, the server closes, or AnswerMs passes. */
function send(port: number, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (o: Outcome): void => { if (done) return; done = true; clearTimeout(timer); sock.destroy(); resolve(o); };
    const timer = setTimeout(() => finish(data === '' ? { kind: 'silent' } : answered()), AnswerMs);
    const answered = (): Outcome => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      return m === null ? { kind: 'answered', status: 0, raw: data.slice(0, 300) } : { kind: 'answered', status: Number(m[1]), raw: data.slice(0, 300) };
    };
    sock.on('connect', () => sock.write(c.payload));
    sock.on('data', (d: Buffer) => { data += d.toString('latin1'); if (/\r\n\r\n/.test(data)) finish(answered()); });
    // A reset while we still write (the server refused the head early) is a close, not a test error.
    sock.on('error', () => finish(data === '' ? { kind: 'closed' } : answered()));
    sock.on('close', () => finish(data === '' ? { kind: 'closed' } : answered()));
  });
}

/** The first line of a payload, shortened, to name a case in a finding. */
function describeCase(c: FuzzCase): string {
  const text = c.payload.toString('latin1');
  const line = text.slice(0, text.indexOf('\r\n') < 0 ? 200 : Math.min(text.indexOf('\r\n'), 200));
  return `${c.family} ${JSON.stringify(line)} (${c.payload.length} bytes)`;
}

/** What is wrong with an outcome, or null. */
function judge(c: FuzzCase, o: Outcome): string | null {
  if (o.kind === 'silent' && c.mayHang === null) return `no answer within ${AnswerMs} ms`;
  if (o.kind === 'closed' && c.mayClose === null && c.mayHang === null) return 'closed without an answer';
  if (o.kind === 'answered') {
    if (o.status === 0) return `not an HTTP response: ${JSON.stringify(o.raw)}`;
    if (o.status >= 500 && !c.may5xx) return `unrequested ${o.status}: ${JSON.stringify(o.raw)}`;
  }
  return null;
}

/** Worker restarts so far, summed over workers from /__mock/metrics. */
async function restarts(port: number): Promise<number> {
  const { data } = await rawRequest(port, 'GET /__mock/metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', () => false, HealthMs);
  let n = 0;
  for (const m of data.matchAll(/^mock_upstream_worker_restarts_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  assert.match(data, /mock_upstream_worker_restarts_total/, 'restart counter missing from /__mock/metrics');
  return n;
}

/** Process alive and /__mock/health 200 on a fresh connection within HealthMs. */
async function assertHealthy(server: TestServer, what: string): Promise<void> {
  assert.equal(server.proc.exitCode, null, `server process exited ${what}`);
  assert.equal(server.proc.signalCode, null, `server process was killed ${what}`);
  const { data } = await rawRequest(server.port, 'GET /__mock/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    (d) => d.includes('\r\n\r\n'), HealthMs).catch((e: Error) => ({ data: `health failed: ${e.message}` }));
  assert.match(data, /^HTTP\/1\.1 200 /, `/__mock/health ${what}: ${JSON.stringify(data.slice(0, 200))}`);
}

describe(`fuzz: hostile heads, bodies and admin payloads (seed ${Seed})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(['--workers', '2', '--journal', '100', '--mock-headers', '--max-delay', '50ms', '--max-size', '64KB']);
  });
  after(async () => { await server.stop(); });

  test(`${Batches} batches of ${BatchSize}: every request answered (or dropped for a stated reason), the server healthy, no worker restarted`, async () => {
    const rng = new Rng(Seed);
    const findings: string[] = [];
    const weighted: [string, (r: Rng) => FuzzCase][] = [['head', headCase], ['head', headCase], ['head', headCase], ['body', bodyCase],
      ['admin', adminCase], ['admin', adminCase], ['pipeline', pipelineCase]];
    const families = weighted.filter(([name]) => Families.includes(name)).map(([, gen]) => gen);
    assert.ok(families.length > 0, `FUZZ_FAMILIES=${process.env.FUZZ_FAMILIES ?? ''} names no generator`);
    let before = await restarts(server.port);
    let logSeen = server.lines.length;
    for (let b = 0; b < Batches; b++) {
      const cases = Array.from({ length: BatchSize }, () => rng.pick(families)(rng));
      for (let i = 0; i < cases.length; i += Parallel) {
        const group = cases.slice(i, i + Parallel);
        const outcomes = await Promise.all(group.map((c) => send(server.port, c)));
        group.forEach((c, j) => {
          const bad = judge(c, outcomes[j]);
          if (bad !== null) {
            findings.push(`batch ${b}: ${describeCase(c)}: ${bad}`);
            // FUZZ_DUMP=<file> keeps each failing payload (JSON lines) for minimising by hand.
            if (process.env.FUZZ_DUMP) appendFileSync(process.env.FUZZ_DUMP, JSON.stringify({ batch: b, bad, payload: c.payload.toString('latin1').slice(0, 4000) }) + '\n');
          }
        });
      }
      await assertHealthy(server, `after batch ${b} (seed ${Seed})`);
      const now = await restarts(server.port);
      if (now !== before) {
        const crashes = server.lines.slice(logSeen).filter((l) => /exited with code|crashed|uncaught/i.test(l)).map((l) => l.slice(0, 600));
        findings.push(`batch ${b}: ${now - before} worker restart(s): ${crashes.join(' | ')}`);
        before = now;
      }
      logSeen = server.lines.length;
    }
    assert.deepEqual(findings, [], `fuzz findings with FUZZ_SEED=${Seed} (FUZZ_BATCHES=${Batches})`);
  });

  test('afterwards: the server still serves /json/valid and /__mock/health', async () => {
    await assertHealthy(server, 'at the end');
    const { data } = await rawRequest(server.port, 'GET /json/valid HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', () => false, HealthMs);
    assert.match(data, /^HTTP\/1\.1 200 /);
  });
});

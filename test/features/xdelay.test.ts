// X-Delay / X-Delay-Percent on data routes, the deferred path's correctness, and body limits on /echo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startServer, statusLines, type TestServer } from '../helpers/server.js';

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number; body: string }> {
  const t0 = performance.now();
  const r = await fetch(url, init);
  const body = await r.text();
  return { ms: performance.now() - t0, status: r.status, body };
}

describe('X-Delay', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--max-delay', '2s', '--max-body', '1KB']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  for (const path of ['/json/valid', '/json', '/plaintext', '/xml', '/resource', '/resource/3', '/size/100KB', '/soap']) {
    test(`X-Delay: 120ms delays ${path} and still answers its body`, async () => {
      const plain = await timed(`${server.url}${path}`);
      const delayed = await timed(`${server.url}${path}`, { headers: { 'X-Delay': '120ms' } });
      assert.equal(delayed.status, 200);
      assert.ok(delayed.ms >= 119, `took ${delayed.ms} ms`);
      if (path !== '/json/valid') assert.equal(delayed.body, plain.body);
      else assert.match(delayed.body, /^\{"time": "/);
    });
  }

  test('/json/valid delayed carries the time it was sent, not received', async () => {
    const t0 = Date.now();
    const { body } = await timed(`${server.url}/json/valid`, { headers: { 'X-Delay': '200ms' } });
    const t = JSON.parse(body).time as string;
    assert.ok(Date.parse(`${t.slice(0, 10)}T${t.slice(11, 23)}Z`) >= t0 + 199);
  });

  test('X-Delay adds to /delay/{duration}', async () => {
    const r = await timed(`${server.url}/delay/100ms`, { headers: { 'X-Delay': '100ms' } });
    assert.ok(r.ms >= 199, `took ${r.ms}`);
  });

  test('X-Delay on /echo delays the echo', async () => {
    const r = await timed(`${server.url}/echo`, { method: 'POST', body: 'abc', headers: { 'X-Delay': '100ms' } });
    assert.ok(r.ms >= 99);
    assert.equal(JSON.parse(r.body).Body, 'abc');
  });

  test('X-Delay-Percent: 0 never delays; 100 always does', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await timed(`${server.url}/json`, { headers: { 'X-Delay': '1s', 'X-Delay-Percent': '0' } });
      assert.ok(r.ms < 900, `delayed despite 0 %: ${r.ms}`);
    }
    const r = await timed(`${server.url}/json`, { headers: { 'X-Delay': '100ms', 'X-Delay-Percent': '100' } });
    assert.ok(r.ms >= 99);
  });

  test('X-Delay-Percent: 50 delays about half of the requests', async () => {
    let delayed = 0;
    const n = 60;
    const results = await Promise.all(Array.from({ length: n }, () =>
      timed(`${server.url}/json`, { headers: { 'X-Delay': '300ms', 'X-Delay-Percent': '50' } })));
    for (const r of results) if (r.ms >= 299) delayed++;
    // Binomial(60, 0.5): mean 30, sd 3.9; 6 sd either side never fails by chance.
    assert.ok(delayed > 6 && delayed < 54, `${delayed} of ${n} delayed`);
  });

  const bad: [Record<string, string>, string][] = [
    [{ 'X-Delay': 'soon' }, 'X-Delay'],
    [{ 'X-Delay': '3s' }, 'X-Delay'],
    [{ 'X-Delay': '10ms', 'X-Delay-Percent': '150' }, 'X-Delay-Percent'],
    [{ 'X-Delay': '10ms', 'X-Delay-Percent': 'half' }, 'X-Delay-Percent'],
  ];
  for (const [headers, param] of bad) {
    test(`bad ${JSON.stringify(headers)} answers 400 naming ${param}`, async () => {
      const r = await fetch(`${server.url}/json/valid`, { headers });
      assert.equal(r.status, 400);
      const body = await r.json() as { error: string; param: string };
      assert.equal(body.param, param);
    });
  }

  test('path delay plus X-Delay over --max-delay answers 400', async () => {
    const r = await fetch(`${server.url}/delay/1.5s`, { headers: { 'X-Delay': '1s' } });
    assert.equal(r.status, 400);
    assert.match((await r.json() as { error: string }).error, /max-delay/);
  });

  test('/echo over --max-body answers 413 JSON (declared length)', async () => {
    const r = await fetch(`${server.url}/echo`, { method: 'POST', body: 'x'.repeat(2000) });
    assert.equal(r.status, 413);
    const body = await r.json() as { error: string; param: string };
    assert.equal(body.param, 'body');
    assert.match(body.error, /max-body/);
  });

  test('/echo over --max-body answers 413 for a chunked body too', async () => {
    const stream = new ReadableStream({
      start(c) { for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode('y'.repeat(500))); c.close(); },
    });
    const r = await fetch(`${server.url}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(r.status, 413);
  });

  test('/echo at exactly --max-body is accepted', async () => {
    const r = await fetch(`${server.url}/echo`, { method: 'POST', body: 'z'.repeat(1024) });
    assert.equal(r.status, 200);
    assert.equal((await r.json() as { Body: string }).Body.length, 1024);
  });

  test('many concurrent delayed responses all arrive, in due order', async () => {
    const delays = Array.from({ length: 200 }, (_, i) => 50 + ((i * 37) % 200));
    const done: number[] = [];
    await Promise.all(delays.map(async (d) => {
      const r = await timed(`${server.url}/delay/${d}ms`);
      assert.equal(r.status, 200);
      assert.ok(r.ms >= d, `${d} ms answered after ${r.ms}`);
      done.push(d);
    }));
    assert.equal(done.length, 200);
  });
});

describe('413 keeps the connection usable', () => {
  test('after a 413 the same keep-alive connection answers the next request', async () => {
    const server = await startServer(['--max-body', '1KB']);
    try {
      const body = 'b'.repeat(3000);
      const raw = `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n`;
      const { data } = await rawRequest(server.port, raw, (d) => d.endsWith('Hello, World!'));
      assert.deepEqual(statusLines(data), ['HTTP/1.1 413 Payload Too Large', 'HTTP/1.1 200 OK']);
    } finally {
      await server.stop();
    }
  });
});

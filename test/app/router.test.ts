// The route table in process, over a fake app that records what uWS would be asked to register: no sockets.
// The assertions stay on what the table does (which handler a pattern's cell runs, what dispatch calls); the
// bytes of an error answer are read off the fake response whatever writer produced them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { passOn, RouteTable, type RouteCell } from '../../src/app/router.js';
import type { Handler, Route } from '../../src/features/context.js';
import type { ConfiguredRoute } from '../../src/features/configured.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../../src/http/uws.js';
import { Writer } from '../../src/http/writer.js';

/** What the fake app was asked to register, in order. */
interface FakeApp {
  readonly app: TemplatedApp;
  readonly any: Map<string, Handler>;
  readonly head: Map<string, Handler>;
  /** Every registration as "any /p" or "head /p", in order (uWS aborts on a repeated shape). */
  readonly log: string[];
}

function fakeApp(): FakeApp {
  const any = new Map<string, Handler>();
  const head = new Map<string, Handler>();
  const log: string[] = [];
  const app = {
    any(pattern: string, handler: Handler) { log.push(`any ${pattern}`); any.set(pattern, handler); return app; },
    head(pattern: string, handler: Handler) { log.push(`head ${pattern}`); head.set(pattern, handler); return app; },
  };
  return { app: app as unknown as TemplatedApp, any, head, log };
}

/** A request as uWS hands it to a route: the method (lowercase, and as sent) and whether it was yielded. */
interface FakeRequest {
  readonly req: HttpRequest;
  readonly yielded: () => boolean;
}

function fakeRequest(method: string): FakeRequest {
  let yielded = false;
  const req = {
    getMethod: () => method.toLowerCase(),
    getCaseSensitiveMethod: () => method,
    getUrl: () => '/',
    getQuery: () => '',
    getHeader: () => '',
    getParameter: () => '',
    setYield(y: boolean) { yielded = y; return req; },
  };
  return { req: req as unknown as HttpRequest, yielded: () => yielded };
}

/**
 * A response that accepts any call the writer makes and keeps the text of everything written (status
 * line, headers, body), so a test reads the answer without knowing how the writer built it.
 */
function fakeResponse(): { res: HttpResponse; text: () => string } {
  const parts: string[] = [];
  const asText = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v instanceof ArrayBuffer) return Buffer.from(v).toString('latin1');
    if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
    return '';
  };
  const res: HttpResponse = new Proxy({}, {
    get(_target, name) {
      if (name === 'then') return undefined; // not a thenable
      return (...args: unknown[]): unknown => {
        if (name === 'cork' && typeof args[0] === 'function') { (args[0] as () => void)(); return res; }
        if (name === 'tryEnd') { parts.push(asText(args[0])); return [true, true]; }
        if (name === 'getWriteOffset') return 0;
        for (const a of args) parts.push(asText(a));
        return res;
      };
    },
  }) as HttpResponse;
  return { res, text: () => parts.join('\n') };
}

/** A handler that records its calls under a name. */
function recorder(name: string, calls: string[]): Handler {
  return () => { calls.push(name); };
}

function builtIn(pattern: string, handler: Handler): Route {
  return { pattern, handler, about: '' };
}

function configured(pattern: string, methods: string[] | null, handler: Handler): ConfiguredRoute {
  return { pattern, handler, about: '', methods: methods === null ? null : new Set(methods), ws: null };
}

/** A table over a fake app; its wrapper calls the cell's current handler, as app.ts's wrapper does. */
function table(maxRoutes = 100): { t: RouteTable; fake: FakeApp; names: string[]; cells: Map<string, RouteCell> } {
  const fake = fakeApp();
  const names: string[] = [];
  const cells = new Map<string, RouteCell>();
  const t = new RouteTable(fake.app, names, (cell) => {
    cells.set(cell.pattern, cell);
    return (res, req) => cell.handler(res, req);
  }, maxRoutes, new Writer());
  return { t, fake, names, cells };
}

/** Call the `any` route uWS would run for `pattern` with a `method` request; returns the request and response. */
function call(fake: FakeApp, pattern: string, method = 'GET'): FakeRequest & { text: () => string } {
  const handler = fake.any.get(pattern);
  assert.ok(handler !== undefined, `nothing registered for ${pattern}`);
  const r = fakeRequest(method);
  const { res, text } = fakeResponse();
  handler(res, r.req);
  return { ...r, text };
}

describe('RouteTable.add (built-in routes)', () => {
  test('registers each pattern once for any method and once for HEAD, with ids in registration order', () => {
    const { t, fake, names, cells } = table();
    const calls: string[] = [];
    t.add(builtIn('/json', recorder('json', calls)), true);
    t.add(builtIn('/__mock/stats', recorder('stats', calls)), false);
    assert.deepEqual(fake.log, ['any /json', 'head /json', 'any /__mock/stats', 'head /__mock/stats']);
    assert.deepEqual(names, ['/json', '/__mock/stats']);
    assert.equal(cells.get('/json')?.id, 0);
    assert.equal(cells.get('/__mock/stats')?.id, 1);
    assert.equal(cells.get('/json')?.data, true);
    assert.equal(cells.get('/__mock/stats')?.data, false, 'admin shapes are not journalled');
    call(fake, '/json');
    call(fake, '/__mock/stats');
    assert.deepEqual(calls, ['json', 'stats']);
  });

  test('a pattern whose shape is taken throws instead of reaching uWS (which would abort)', () => {
    const { t, fake } = table();
    t.add(builtIn('/a/:x', () => {}), true);
    assert.throws(() => t.add(builtIn('/a/:y', () => {}), true), /route \/a\/:y clashes with \/a\/:x, registered before it/);
    assert.throws(() => t.add(builtIn('/a/:x', () => {}), true), /clashes/);
    assert.deepEqual(fake.log, ['any /a/:x', 'head /a/:x'], 'nothing more was registered');
  });

  test('a table of maxRoutes routes refuses one more', () => {
    const { t, fake } = table(2);
    t.add(builtIn('/one', () => {}), true);
    t.add(builtIn('/two', () => {}), true);
    assert.throws(() => t.add(builtIn('/three', () => {}), true), /more than 2 routes/);
    assert.equal(fake.any.has('/three'), false);
  });
});

describe('RouteTable.reserve and configure', () => {
  test('reserved patterns are registered unclaimed (they pass the request on) and never twice', () => {
    const { t, fake, names } = table();
    t.add(builtIn('/json', () => {}), true);
    t.reserve(['/late/:id', '/json', '/other']);
    t.reserve(['/late/:name']);
    assert.deepEqual(names, ['/json', '/late/:id', '/other']);
    assert.equal(fake.any.size, 3);
    const r = call(fake, '/late/:id');
    assert.equal(r.yielded(), true, 'an unclaimed shape hands the request to the next route (a wildcard, else the 404)');
  });

  test('a restarted worker that reserves the earlier paths gets the same ids as one that configured them live', () => {
    const calls: string[] = [];
    const routesThen = [configured('/x', null, recorder('x', calls)), configured('/y/:id', null, recorder('y', calls))];
    const routesNow = [configured('/y/:id', null, recorder('y', calls))];

    const live = table();
    live.t.add(builtIn('/json', () => {}), true);
    live.t.configure(routesThen);
    live.t.configure(routesNow);

    const restarted = table();
    restarted.t.add(builtIn('/json', () => {}), true);
    restarted.t.reserve(['/x', '/y/:id']);
    restarted.t.configure(routesNow);

    assert.deepEqual(restarted.names, live.names);
    assert.deepEqual(restarted.names, ['/json', '/x', '/y/:id']);
    assert.equal(restarted.cells.get('/y/:id')?.id, live.cells.get('/y/:id')?.id);
    assert.equal(call(restarted.fake, '/x').yielded(), true, 'a reserved path no route claims passes on');
    call(restarted.fake, '/y/:id');
    assert.deepEqual(calls, ['y']);
  });

  test('configure swaps the handler of a built-in shape and gives it back; a configured-only shape goes back to passOn', () => {
    const { t, fake, cells } = table();
    const calls: string[] = [];
    t.add(builtIn('/json', recorder('built-in', calls)), true);
    t.configure([configured('/json', null, recorder('configured', calls)), configured('/new', null, recorder('new', calls))]);
    const registered = fake.log.length;
    call(fake, '/json');
    call(fake, '/new');
    assert.deepEqual(calls, ['configured', 'new']);

    t.configure([]);
    calls.length = 0;
    call(fake, '/json');
    assert.deepEqual(calls, ['built-in'], 'the built-in route answers again');
    assert.equal(cells.get('/new')?.handler, passOn);
    assert.equal(call(fake, '/new').yielded(), true);
    assert.deepEqual(calls, ['built-in'], 'the removed route is not called');

    // The same shape configured again reuses its cell: uWS cannot register it twice.
    t.configure([configured('/new', null, recorder('again', calls))]);
    call(fake, '/new');
    assert.deepEqual(calls, ['built-in', 'again']);
    assert.equal(fake.log.length, registered);
  });

  test('the HEAD route of a shape reaches the handler in force', () => {
    const { t, fake } = table();
    const calls: string[] = [];
    t.add(builtIn('/json', recorder('built-in', calls)), true);
    t.configure([configured('/json', ['get'], recorder('configured', calls))]);
    const head = fake.head.get('/json');
    assert.ok(head !== undefined);
    const r = fakeRequest('HEAD');
    head(fakeResponse().res, r.req);
    assert.deepEqual(calls, ['configured'], 'HEAD is answered by the route that answers GET');
  });

  test('more fresh paths than the table has room for: refused whole, nothing registered or swapped', () => {
    const { t, fake } = table(3);
    const calls: string[] = [];
    t.add(builtIn('/json', recorder('built-in', calls)), true);
    t.add(builtIn('/plaintext', () => {}), true);
    const before = [...fake.log];
    assert.throws(() => t.configure([configured('/json', null, recorder('configured', calls)), configured('/a', null, () => {}), configured('/b', null, () => {})]),
      /route table full: at most 3 distinct paths per process/);
    assert.deepEqual(fake.log, before);
    call(fake, '/json');
    assert.deepEqual(calls, ['built-in'], 'the handlers in force are untouched');
    // Exactly one fresh path fits.
    t.configure([configured('/a', null, () => {})]);
    assert.ok(fake.any.has('/a'));
  });
});

describe('configured routes of one shape: dispatch by method', () => {
  test('the first route whose methods match answers; HEAD goes to GET; others get 405 naming the allowed methods', () => {
    const { t, fake } = table();
    const calls: string[] = [];
    t.configure([
      configured('/m/:id', ['get'], recorder('get', calls)),
      configured('/m/:name', ['post', 'put'], recorder('post-put', calls)),
      configured('/m/:other', ['put'], recorder('second-put', calls)),
    ]);
    assert.deepEqual(fake.log, ['any /m/:id', 'head /m/:id'], 'one registration for the shape');
    for (const m of ['GET', 'POST', 'PUT', 'HEAD']) assert.equal(call(fake, '/m/:id', m).text(), '', `${m} wrote nothing itself`);
    assert.deepEqual(calls, ['get', 'post-put', 'post-put', 'get']);

    const refused = call(fake, '/m/:id', 'Delete');
    assert.deepEqual(calls, ['get', 'post-put', 'post-put', 'get'], 'no route was called');
    assert.match(refused.text(), /405/);
    assert.match(refused.text(), /DELETE is not configured for \/m\/:id: use GET, POST, PUT/);
  });

  test('a shape with a built-in route falls back to it for the methods no configured route takes', () => {
    const { t, fake } = table();
    const calls: string[] = [];
    t.add(builtIn('/anything', recorder('built-in', calls)), true);
    t.configure([configured('/anything', ['post'], recorder('configured', calls))]);
    const get = call(fake, '/anything', 'GET');
    call(fake, '/anything', 'POST');
    assert.deepEqual(calls, ['built-in', 'configured']);
    assert.equal(get.text(), '', 'no 405 when a built-in route answers');
  });

  test('a route without methods answers every method', () => {
    const { t, fake } = table();
    const calls: string[] = [];
    t.configure([configured('/all', null, recorder('all', calls)), configured('/all', ['get'], recorder('never', calls))]);
    for (const m of ['GET', 'DELETE', 'PATCH']) call(fake, '/all', m);
    assert.deepEqual(calls, ['all', 'all', 'all']);
  });
});

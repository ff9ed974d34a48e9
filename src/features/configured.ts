// Routes from the config file, compiled at startup: static bodies (with their status line and headers)
// become one Prepared response; templates become literal chunks with slots filled per request.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { payloadFilePath, type RouteConfig, type WsRouteConfig } from '../config/file.js';
import { wsUpgradeRequired, type WsServe } from './ws/routes.js';
import { Kind } from './ws/sockets.js';
import { serializeTemplateValue } from '../serializers/index.js';
import { pathParams, scanTemplate } from '../grammar/template.js';
import { parseLatency, parseStatusChoice } from '../grammar/distribution.js';
import { parseSize } from '../grammar/size.js';
import { makeHead, prepare, type Head } from '../http/head.js';
import type { Responder } from '../http/scheduler.js';
import type { HttpRequest } from '../http/uws.js';
import { parseFaultChoice } from '../grammar/fault.js';
import type { Asked, SequenceControl } from './asked.js';
import { parseOneOrSequence } from '../grammar/sequence.js';
import { compileRouteExpect } from '../grammar/expect.js';
import type { Route, RouteContext } from './context.js';

const ContentTypes: Record<string, string> = {
  '.json': 'application/json', '.txt': 'text/plain', '.html': 'text/html; charset=utf-8', '.xml': 'application/xml',
  '.csv': 'text/csv', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.gif': 'image/gif', '.pdf': 'application/pdf',
};

/** Content type for a payload file name. */
export function contentTypeOf(name: string): string {
  return ContentTypes[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

type Slot = { kind: 'now' } | { kind: 'param'; index: number } | { kind: 'query'; name: string };

/** A template compiled into JSON text chunks around string slots. */
interface Template {
  readonly chunks: readonly string[];
  readonly slots: Slot[];
}

// The one template scanner (checkConfig ran it on this route already, so it reports no problem here).
function compileTemplate(value: unknown, path: string): Template {
  const { template, problems } = scanTemplate(value, path);
  if (problems.length > 0) throw new Error(`invalid template: ${problems[0].at || '/'}: ${problems[0].message}`);
  const params = pathParams(path);
  const slots = template.slots.map((p): Slot => (p.kind === 'param' ? { kind: 'param', index: params.indexOf(p.name) } : p));
  return { chunks: template.chunks, slots };
}

// Reads every slot's value from req synchronously (req is gone once the handler returns).
function render(t: Template, req: HttpRequest, now: () => string): Buffer {
  let out = t.chunks[0];
  for (let i = 0; i < t.slots.length; i++) {
    const s = t.slots[i];
    const v = s.kind === 'now' ? now() : s.kind === 'param' ? req.getParameter(s.index) : (req.getQuery(s.name) ?? '');
    // The compiled serializer quotes and escapes (no JSON.stringify); the slot already sits inside a JSON string literal.
    out += serializeTemplateValue(v).slice(1, -1) + t.chunks[i + 1];
  }
  return Buffer.from(out);
}

/** A configured route with the methods it answers (null = any). */
export interface ConfiguredRoute extends Route {
  readonly methods: ReadonlySet<string> | null;
  /** What the path serves as a WebSocket route; null for an HTTP route. */
  readonly ws: WsServe | null;
}

// A configured WebSocket route: its messages made once, its route-level settings as control text (the
// request's own controls come first and win, see WsTable).
function wsServe(r: RouteConfig, ws: WsRouteConfig): WsServe {
  const messages = (ws.messages ?? []).map((m) => (typeof m === 'string' ? Buffer.from(m)
    : 'binary' in m ? Buffer.from(m.binary, 'base64') : Buffer.from(JSON.stringify(m.json))));
  const binary = (ws.messages ?? []).map((m) => typeof m === 'object' && 'binary' in m);
  const controls = new URLSearchParams();
  if (r.latency !== undefined) controls.set('delay', r.latency);
  if (r.status !== undefined) controls.set('status', String(r.status));
  controls.set('interval', ws.interval ?? '0ms');
  const own = ws.controls ?? '';
  const script = { messages, binary, echo: ws.echo ?? messages.length === 0, closeCode: ws.close ?? 0 };
  return { pattern: r.path, kind: Kind.Script, script, controls: own.length === 0 ? controls.toString() : `${own}&${controls.toString()}` };
}

/** Compile the configured routes for one worker. */
export function configuredRoutes(ctx: RouteContext, routes: readonly RouteConfig[], payloadsDir: string): ConfiguredRoute[] {
  const { writer } = ctx;
  const { config } = ctx;
  return routes.map((r): ConfiguredRoute => {
    if (r.ws !== undefined) {
      return { pattern: r.path, methods: new Set(['get']), about: `configured WebSocket: ${r.path}`, handler: wsUpgradeRequired(ctx, r.path), ws: wsServe(r, r.ws) };
    }
    // A Content-Type among the headers replaces the body kind's default instead of adding a second one.
    const all = Object.entries(r.headers ?? {});
    const ownType = all.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
    const headers = all.filter(([n]) => n.toLowerCase() !== 'content-type');
    const code = typeof r.status === 'number' ? r.status : 200;
    const body = r.body ?? { text: '' };
    let responder: Responder;
    let template: Template | null = null;
    let head: Head;
    if (body.template !== undefined) {
      template = compileTemplate(body.template, r.path);
      head = makeHead(code, ownType ?? 'application/json', headers);
      const h = head;
      responder = { send(res, arg) { writer.sendBody(res, h, arg as Buffer); } };
    } else if (body.size !== undefined) {
      const n = parseSize(String(body.size), 'size', config.maxSizeBytes);
      head = makeHead(code, ownType ?? 'text/plain', headers);
      const h = head;
      responder = { send(res) { ctx.filler.send(res, h, n); } };
    } else {
      const [type, bytes] = body.json !== undefined ? ['application/json', Buffer.from(JSON.stringify(body.json))]
        : body.file !== undefined ? [contentTypeOf(body.file), readFileSync(payloadFilePath(payloadsDir, body.file))]
          : ['text/plain', Buffer.from(body.text ?? '')];
      const p = prepare(code, ownType ?? type, bytes, headers);
      responder = { send(res) { writer.send(res, p); } };
    }
    // latency, status and fault may be sequences (`"status": "503x3,200"`): each request takes its step, scoped
    // by X-Mock-Key / key= like a request's own sequence (docs/scenarios.md).
    const sequences: SequenceControl[] = [];
    const max = config.maxDelayMs;
    const asked: Asked = {
      delay: valueOrSequence(r.latency, 'delay', 'latency', (t, p) => parseLatency(t, p, max), sequences),
      status: valueOrSequence(typeof r.status === 'string' ? r.status : undefined, 'status', 'status', parseStatusChoice, sequences),
      size: null,
      headers: null,
      close: r.close ?? -1,
      fault: valueOrSequence(r.fault, 'fault', 'fault', (t, p) => parseFaultChoice(t, p, max), sequences),
      expect: compileRouteExpect(r.expect as Record<string, unknown> | undefined, `${r.path} expect`),
      sequences: sequences.length === 0 ? null : sequences,
    };
    const methods = r.method === undefined ? null : new Set((Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toLowerCase()));
    const now = (): string => { ctx.clock.refresh(); return ctx.clock.timeText(); };
    const t = template;
    return {
      pattern: r.path,
      methods,
      about: `configured: ${r.method ?? 'any method'} ${r.path}`,
      handler: (res, req) => ctx.respondRoute(res, req, responder, t === null ? null : render(t, req, now), asked),
      ws: null,
    };
  });
}

// A route's control text as one value, or null with the sequence added to `out` when the text is a sequence.
function valueOrSequence<T>(text: string | undefined, field: keyof Asked, param: string, one: (t: string, p: string) => T, out: SequenceControl[]): T | null {
  if (text === undefined) return null;
  const parsed = parseOneOrSequence(text, param, one);
  if (parsed.seq !== null) out.push({ field, seq: parsed.seq });
  return parsed.value;
}

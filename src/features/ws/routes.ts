// WebSocket routes: /ws/echo, /ws/stream and configured WebSocket routes. Each path shape is registered on
// the engine once (uWS cannot unregister a route, and registering a shape twice aborts the process); its
// upgrade handler looks up what the shape serves now, so configured routes can come and go at runtime.
// A GET without upgrade headers, or to a shape that serves no WebSocket now, falls through to the HTTP
// route of the same path (426 for the built-in ones, see wsHttpRoutes).
import type { EngineApp, WsBehavior, WsContext } from '../../http/engine.js';
import { makeHead, ownBytes, type Head } from '../../http/head.js';
import { sendBadValue } from '../../http/errors.js';
import type { Responder } from '../../http/scheduler.js';
import { routeShape } from '../../grammar/route-shape.js';
import { serializeError } from '../../serializers/index.js';
import { S } from '../../observe/counters.js';
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import type { Route, RouteContext } from '../context.js';
import { XMock } from '../controls.js';
import { PlanCache, type WsPlan } from '../../grammar/ws-plan.js';
import { Kind, Session, Sockets, type Script } from './sockets.js';

/** What a WebSocket shape serves: the built-in echo or stream, or a configured script. */
export interface WsServe {
  readonly pattern: string;
  readonly kind: Kind;
  readonly script: Script | null;
  /** The route's own controls in query syntax (configured routes); the request's come first and win. */
  readonly controls: string;
}

interface Slot {
  readonly pattern: string;
  /** Counter id: the HTTP cell of the same shape. */
  readonly id: number;
  serve: WsServe | null;
}

const Key = ownBytes('sec-websocket-key');
const Protocol = ownBytes('sec-websocket-protocol');
const Extensions = ownBytes('sec-websocket-extensions');

const Upgrade426: Head = makeHead(426, 'application/json', [['Upgrade', 'websocket']]);

/** The built-in WebSocket routes (their HTTP side is wsHttpRoutes). */
export const BuiltInWs: readonly WsServe[] = [
  { pattern: '/ws/echo', kind: Kind.Echo, script: null, controls: '' },
  { pattern: '/ws/stream', kind: Kind.Stream, script: null, controls: '' },
];

/** The HTTP side of the built-in WebSocket paths: a request without upgrade headers gets 426 and a hint. */
export function wsHttpRoutes(ctx: RouteContext): Route[] {
  return BuiltInWs.map((w) => {
    const body = Buffer.from(serializeError({ error: `${w.pattern} is a WebSocket route: connect with Upgrade: websocket, e.g. ws://host:port${w.pattern}` }));
    return {
      pattern: w.pattern,
      about: w.kind === Kind.Echo ? 'WebSocket: echoes every message (426 without an upgrade)' : 'WebSocket: pushes count stamped messages every interval',
      handler: (res) => ctx.writer.sendBody(res, Upgrade426, body),
    };
  });
}

/** The HTTP answer of a configured WebSocket route's path to a request without upgrade headers. */
export function wsUpgradeRequired(ctx: RouteContext, pattern: string): Route['handler'] {
  const body = Buffer.from(serializeError({ error: `${pattern} is a WebSocket route: connect with Upgrade: websocket` }));
  return (res) => ctx.writer.sendBody(res, Upgrade426, body);
}

/** One worker's WebSocket shapes and sockets. */
export class WsTable {
  readonly sockets: Sockets;
  private readonly slots = new Map<string, Slot>();
  private readonly plans: PlanCache;
  private readonly refusals: (Buffer | undefined)[] = [];
  private readonly refusalHeads: (Head | undefined)[] = [];
  private readonly behavior: WsBehavior<Session>;
  private readonly upgrader: Responder;

  /**
   * `compression`: the engine's SHARED_COMPRESSOR (deflate=on negotiates it); `idOf`: the counter id of a path's
   * HTTP cell; `onError`: told when a socket's timer threw (the other sockets go on).
   */
  constructor(private readonly ctx: RouteContext, private readonly app: EngineApp, private readonly compression: number,
    private readonly idOf: (pattern: string) => number, onError: (err: unknown) => void) {
    const config = ctx.config;
    this.plans = new PlanCache({ maxDelayMs: config.maxDelayMs, maxMessage: config.wsMaxMessageBytes });
    const sockets = new Sockets(ctx.counters, ctx.rng, onError);
    this.sockets = sockets;
    this.behavior = {
      compression,
      maxPayloadLength: config.wsMaxMessageBytes,
      // uWS's default idle timeout (it pings an idle socket first): a dead peer is found within two minutes.
      idleTimeout: 120,
      // Above what Sockets queues itself (MaxBufferedBytes plus one largest message), so the engine never drops silently.
      maxBackpressure: 2 * (config.wsMaxMessageBytes + 1024 * 1024),
      upgrade: () => undefined,
      // An exception escaping an engine callback would end the worker (uws-notes): each is contained here.
      open: (ws) => { try { sockets.opened(ws); } catch (err) { onError(err); } },
      message: (ws, m, b) => { try { sockets.received(ws, m, b); } catch (err) { onError(err); } },
      drain: (ws) => { try { sockets.drained(ws); } catch (err) { onError(err); } },
      close: (ws) => { try { sockets.closed(ws); } catch (err) { onError(err); } },
    };
    const writer = ctx.writer;
    this.upgrader = {
      send(res, arg) {
        const s = arg as Session;
        writer.countResponse(101, 0);
        res.upgrade(s, s.key, s.protocol, s.extensions, s.context as WsContext);
      },
    };
    for (const w of BuiltInWs) this.serve(w);
  }

  /** Make `routes` the configured WebSocket routes; shapes no longer configured stop upgrading (built-ins return). */
  configure(routes: readonly WsServe[]): void {
    const wanted = new Map<string, WsServe>();
    for (const r of routes) if (!wanted.has(routeShape(r.pattern))) wanted.set(routeShape(r.pattern), r);
    for (const w of BuiltInWs) if (!wanted.has(routeShape(w.pattern))) wanted.set(routeShape(w.pattern), w);
    for (const [shape, slot] of this.slots) if (!wanted.has(shape)) slot.serve = null;
    for (const r of wanted.values()) this.serve(r);
  }

  private serve(w: WsServe): void {
    const shape = routeShape(w.pattern);
    let slot = this.slots.get(shape);
    if (slot === undefined) {
      slot = { pattern: w.pattern, id: this.idOf(w.pattern), serve: w };
      this.slots.set(shape, slot);
      this.app.ws(w.pattern, { ...this.behavior, upgrade: this.upgradeHandler(slot) });
    }
    slot.serve = w;
  }

  private upgradeHandler(slot: Slot): WsBehavior<Session>['upgrade'] {
    const inner = (res: HttpResponse, req: HttpRequest, context: WsContext): void => this.upgrade(slot, res, req, context);
    const recorder = this.ctx.writer.recorder;
    const counters = this.ctx.counters;
    // The engine's objects: features write through the writer, which types them as uWS's (the boundary's shape).
    return (engineRes, engineReq, context) => {
      const res = engineRes as HttpResponse;
      const req = engineReq as HttpRequest;
      if (slot.serve === null) {
        req.setYield(true);
        return;
      }
      counters.route = slot.id;
      if (recorder === null) inner(res, req, context);
      else recorder.handle(res, req, (r, q) => inner(r, q, context));
    };
  }

  // Reads req synchronously; answers 400 (bad control), the status the control picked (refused), or upgrades now or after the delay.
  private upgrade(slot: Slot, res: HttpResponse, req: HttpRequest, context: WsContext): void {
    const { ctx } = this;
    const serve = slot.serve as WsServe;
    let plan: WsPlan;
    try {
      if (!ctx.config.requestControls) plan = this.plans.get(serve.controls, '');
      else {
        const q = req.getQuery() ?? '';
        const own = serve.controls.length === 0 ? q : q.length === 0 ? serve.controls : `${q}&${serve.controls}`;
        plan = this.plans.get(own, req.getHeader(XMock));
      }
    } catch (err) {
      ctx.counters.stream(slot.id, S.refused, 1);
      sendBadValue(ctx.writer, res, err);
      return;
    }
    if (plan.status !== null) {
      const code = plan.status.pick(ctx.rng.next());
      if (code >= 300) {
        ctx.counters.stream(slot.id, S.refused, 1);
        ctx.writer.sendBody(res, this.refusalHeads[code] ??= makeHead(code, 'application/json'), this.refusal(code));
        return;
      }
    }
    const s = new Session(slot.id, plan, serve.kind, serve.script);
    s.key = req.getHeader(Key);
    const offered = req.getHeader(Protocol);
    // The first subprotocol the client offers is accepted: a client that asks for one fails without it.
    const comma = offered.indexOf(',');
    s.protocol = comma < 0 ? offered.trim() : offered.slice(0, comma).trim();
    s.extensions = plan.deflate && this.compression !== 0 ? req.getHeader(Extensions) : '';
    const delayMs = plan.delay === null ? 0 : plan.delay.sample(ctx.rng);
    if (delayMs > 0) {
      s.context = context;
      ctx.scheduler.schedule(res, delayMs, this.upgrader, s, 0);
      return;
    }
    ctx.writer.countResponse(101, 0);
    res.upgrade(s, s.key, s.protocol, s.extensions, context);
  }

  // The refusal body of a status the control picked, made once per code.
  private refusal(code: number): Buffer {
    let b = this.refusals[code];
    if (b === undefined) {
      b = Buffer.from(serializeError({ error: `WebSocket upgrade refused: the status control picked ${code}`, param: 'status' }));
      this.refusals[code] = b;
    }
    return b;
  }
}

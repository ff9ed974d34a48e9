// The config file (--config FILE / MOCK_CONFIG): read, validated against schema/mock-upstream.schema.json
// with ajv, then checked value by value with the server's own grammar, every error with its JSON path.
import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MaxConfiguredPaths, MaxWsMessageBytes, ServerWrittenHeaders } from './defaults.js';
import { GrammarError } from '../grammar/errors.js';
import { parseLatency, parseStatusChoice } from '../grammar/distribution.js';
import { parseSize } from '../grammar/size.js';
import { parseFaultChoice } from '../grammar/fault.js';
import { serverSchema, SettingRows, type FileSettingKey } from './settings.js';
import { scanTemplate } from '../grammar/template.js';
import { pathProblem, routeShape } from '../grammar/route-shape.js';
import { compilePlan, parseCloseRule } from '../grammar/ws-plan.js';
import { compileRouteExpect } from '../grammar/expect.js';
import { parseOneOrSequence } from '../grammar/sequence.js';

export { routeShape };

const require = createRequire(import.meta.url);

/** Where the JSON Schema lives (shipped in the package). */
export const SchemaPath = new URL('../../../schema/mock-upstream.schema.json', import.meta.url);

/** The methods a configured route may list. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

/** One configured route, as the schema describes it. */
export interface RouteConfig {
  method?: Method | Method[];
  path: string;
  status?: number | string;
  headers?: Record<string, string>;
  body?: { json?: unknown; text?: string; file?: string; size?: string | number; template?: unknown };
  latency?: string;
  close?: number;
  /** Faults, weighted like status (docs/faults.md), e.g. "reset:5,truncate(100):5". */
  fault?: string;
  /** Request assertions: expect-* control names without `expect-`, a value or a list (see docs/gateway-checks.md). */
  expect?: RouteExpect;
  /** Makes the path a WebSocket route (see docs/websocket.md); the other fields then apply to the upgrade. */
  ws?: WsRouteConfig;
}

/** A configured route's `expect` object: each key an expect-* control without the prefix. */
export interface RouteExpect {
  header?: string | string[];
  'no-header'?: string | string[];
  method?: string;
  path?: string;
  host?: string;
  'body-json'?: string | string[];
  status?: number;
}

/** One scripted WebSocket message: text, a JSON value sent as text, or base64 bytes sent as a binary frame. */
export type WsMessageConfig = string | { json: unknown } | { binary: string };

/** A configured WebSocket route. */
export interface WsRouteConfig {
  /** Echo client messages (default: true when there are no messages). */
  echo?: boolean;
  /** Sent in order after the upgrade, one per interval. */
  messages?: WsMessageConfig[];
  /** Time between scripted messages, a latency expression (default 0ms: back to back). */
  interval?: string;
  /** Close code sent after the last message (default: stay open). */
  close?: number;
  /** WebSocket controls in query syntax, e.g. "deflate=on&idle=30s" (a request's own win). */
  controls?: string;
}

/** Server settings a file may hold (flags and env override them): the settings table's rows with a `file` schema. */
export type FileServerSettings = { readonly [K in FileSettingKey]?: string | number };

/** A parsed, valid config file. */
export interface ConfigFile {
  server?: FileServerSettings;
  routes?: RouteConfig[];
}

/** Every problem in a config file, each "JSON path: message". */
export class ConfigFileError extends Error {
  constructor(readonly file: string, readonly errors: string[]) {
    super(`invalid config ${file}: ${errors.length} error(s)\n${errors.map((e) => `  ${e}`).join('\n')}`);
  }
}

/** Limits the semantic checks need. */
export interface CheckLimits {
  readonly maxDelayMs: number;
  readonly maxSizeBytes: number;
  readonly payloadsDir: string;
  /** The reserved admin prefix (--admin-prefix). */
  readonly adminPrefix: string;
}

interface SchemaError { instancePath: string; schemaPath: string; keyword: string; message?: string; params: Record<string, unknown>; propertyName?: string }
type Validate = ((v: unknown) => boolean) & { errors?: SchemaError[] | null };

/**
 * ajv reports a failed oneOf as every branch's errors plus the oneOf's own ("status": 700 gives "must be <=
 * 599", "must be string" and "must match exactly one schema"). Keep what the value's JSON type makes
 * relevant: the errors of the branches of its type; when no branch takes its type, one "must be A or B".
 */
function collapseOneOf(errors: readonly SchemaError[]): SchemaError[] {
  let out = [...errors];
  for (const o of errors.filter((e) => e.keyword === 'oneOf')) {
    const base = `${o.schemaPath}/`;
    // schemaPath is relative to the route (or other) definition, so the value's path says whose error it is;
    // a $ref'd branch reports its definition's path, so its number is unknown (-1) but it is still related.
    const under = (e: SchemaError): boolean => e !== o && (e.instancePath === o.instancePath || e.instancePath.startsWith(`${o.instancePath}/`));
    const branch = (e: SchemaError): number => (e.schemaPath.startsWith(base) ? Number(e.schemaPath.slice(base.length).split('/')[0]) : -1);
    const related = out.filter(under);
    // Valid in several branches, or ajv gave no branch detail: the oneOf's own message is the best there is.
    if (related.length === 0) continue;
    const typeMisses = related.filter((e) => e.keyword === 'type' && e.instancePath === o.instancePath && branch(e) >= 0);
    const missed = new Set(typeMisses.map(branch));
    const wrongType = (e: SchemaError): boolean => branch(e) >= 0 && missed.has(branch(e));
    if (related.some((e) => !wrongType(e))) {
      out = out.filter((e) => e !== o && !(under(e) && wrongType(e)));
    } else {
      const types = [...new Set(typeMisses.map((e) => String(e.params.type)))].join(' or ');
      out = out.filter((e) => !under(e)).map((e) => (e === o ? { ...o, keyword: 'type', message: `must be ${types}` } : e));
    }
  }
  return out;
}
let validator: Validate | null = null;

// ajv is loaded only when a config file is used: it costs start-up time every other run would not need.
// The `server` object's schema comes from the settings table (the shipped file is checked to equal it).
function schemaValidator(): Validate {
  if (validator === null) {
    const Ajv = require('ajv').default as new (o: object) => { compile(s: object): Validate };
    const schema = JSON.parse(readFileSync(SchemaPath, 'utf8')) as { properties: Record<string, unknown> };
    schema.properties.server = serverSchema();
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

/** Validate a parsed config value; returns every error as "JSON path: message" (empty when valid). */
export function checkConfig(value: unknown, limits: CheckLimits): string[] {
  const validate = schemaValidator();
  const errors: string[] = [];
  // Paths the schema already rejected: the value checks below skip them rather than report a value twice.
  const rejected = new Set<string>();
  if (!validate(value)) {
    const found = collapseOneOf(validate.errors ?? []);
    for (const e of found) rejected.add(e.instancePath);
    // A bad property name (only header names have a rule) is one error at the name's own path, not two.
    errors.push(...found.filter((e) => e.keyword !== 'propertyNames').map((e) => {
      if (e.propertyName !== undefined) {
        return `${e.instancePath}/${e.propertyName}: invalid header name "${e.propertyName}": use an HTTP token (letters, digits and !#$%&'*+-.^_\`|~)`;
      }
      const extra = e.params.additionalProperty !== undefined ? ` "${String(e.params.additionalProperty)}"`
        : e.params.allowedValues !== undefined ? ` (${(e.params.allowedValues as unknown[]).join(', ')})`
          : e.params.allowedValue !== undefined ? ` ${JSON.stringify(e.params.allowedValue)}` : '';
      return `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${extra}`;
    }));
  }
  // The value checks run too, on every route shaped well enough to check, so one pass reports everything.
  const file = (value !== null && typeof value === 'object' ? value : {}) as ConfigFile;
  const grammar = (path: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof GrammarError) errors.push(`${path}: ${err.message}`);
      else throw err;
    }
  };
  // Server settings: the settings table's parsers, the ones the flags use, so a file accepts what a flag
  // accepts. A value the schema rejected (wrong JSON type, out of range) is reported once, by the schema.
  const server = (file.server !== null && typeof file.server === 'object' && !Array.isArray(file.server) ? file.server : {}) as Record<string, unknown>;
  for (const row of SettingRows) {
    const v = server[row.key];
    if (row.file !== undefined && row.parse !== undefined && (typeof v === 'string' || typeof v === 'number') && !rejected.has(`/server/${row.key}`)) {
      const parse = row.parse;
      grammar(`/server/${row.key}`, () => parse(String(v), row.key, limits));
    }
  }
  const routes = Array.isArray(file.routes) ? file.routes.filter((r) => r !== null && typeof r === 'object' && typeof r.path === 'string') : [];
  routes.forEach((r, i) => {
    const at = `/routes/${(file.routes as RouteConfig[]).indexOf(r)}`;
    void i;
    if (`${r.path}/`.startsWith(limits.adminPrefix)) errors.push(`${at}/path: ${r.path} is under the reserved admin prefix ${limits.adminPrefix}`);
    // What uWS's router cannot take as written (it would abort the process, or the route could never answer).
    const shape = rejected.has(`${at}/path`) ? null : pathProblem(r.path);
    if (shape !== null) errors.push(`${at}/path: ${shape}`);
    for (const name of Object.keys(r.headers !== null && typeof r.headers === 'object' ? r.headers : {})) {
      if (ServerWrittenHeaders.has(name.toLowerCase())) {
        errors.push(`${at}/headers/${name}: the server writes ${name} itself; use body.size for the length and "close" for Connection: close`);
      }
    }
    // status, fault and latency: one value or a sequence of them (a scenario, docs/scenarios.md); a WebSocket
    // route takes single values (its upgrade controls have no scenarios).
    const orSeq = r.ws === undefined || r.ws === null
      ? parseOneOrSequence
      : <T>(t: string, p: string, one: (t: string, p: string) => T): T => one(t, p);
    if (typeof r.status === 'string') grammar(`${at}/status`, () => orSeq(r.status as string, 'status', parseStatusChoice));
    if (typeof r.fault === 'string') grammar(`${at}/fault`, () => orSeq(r.fault as string, 'fault', (t, p) => parseFaultChoice(t, p, limits.maxDelayMs)));
    if (r.expect !== null && typeof r.expect === 'object' && !rejected.has(`${at}/expect`)) {
      const ex = r.expect;
      grammar(`${at}/expect`, () => compileRouteExpect(ex as Record<string, unknown>, `${at}/expect`));
    }
    if (typeof r.latency === 'string') grammar(`${at}/latency`, () => orSeq(r.latency as string, 'latency', (t, p) => parseLatency(t, p, limits.maxDelayMs)));
    if (r.ws !== null && typeof r.ws === 'object') {
      const ws = r.ws;
      if (typeof ws.interval === 'string') grammar(`${at}/ws/interval`, () => parseLatency(ws.interval as string, 'interval', limits.maxDelayMs));
      if (typeof ws.controls === 'string') grammar(`${at}/ws/controls`, () => compilePlan(ws.controls as string, '', { maxDelayMs: limits.maxDelayMs, maxMessage: MaxWsMessageBytes }));
      if (typeof ws.close === 'number') grammar(`${at}/ws/close`, () => parseCloseRule(String(ws.close), 'close', 0));
      if (r.body !== undefined) errors.push(`${at}/body: a WebSocket route has no HTTP body: use ws.messages`);
      if (r.method !== undefined && r.method !== 'GET') errors.push(`${at}/method: a WebSocket route is upgraded from GET: leave method out or use "GET"`);
    }
    // A malformed body is the schema's error; the value checks below need an object.
    if (r.body === null || typeof r.body !== 'object') return;
    if (r.body?.size !== undefined) grammar(`${at}/body/size`, () => parseSize(String(r.body?.size), 'size', limits.maxSizeBytes));
    if (typeof r.body?.file === 'string') {
      try {
        payloadFilePath(limits.payloadsDir, r.body.file);
      } catch (err) {
        errors.push(`${at}/body/file: ${(err as Error).message}`);
      }
    }
    if (r.body?.template !== undefined) {
      for (const p of scanTemplate(r.body.template, r.path).problems) errors.push(`${at}/body/template${p.at}: ${p.message}`);
    }
  });
  const shapes = new Set(routes.map((r) => routeShape(r.path)));
  if (shapes.size > MaxConfiguredPaths) {
    errors.push(`/routes: ${shapes.size} distinct paths; at most ${MaxConfiguredPaths} (":name" segments count as one shape)`);
  }
  const seen = new Set<string>();
  routes.forEach((r) => {
    const i = (file.routes as RouteConfig[]).indexOf(r);
    const methods = r.method === undefined ? ['*'] : Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      const key = `${m} ${routeShape(r.path)}`;
      if (seen.has(key)) errors.push(`/routes/${i}: duplicate route ${m === '*' ? 'ANY' : m} ${r.path} (an earlier route has the same method and path shape)`);
      seen.add(key);
    }
  });
  return errors;
}

/** What a name in the payload folder leads to, symlinks followed: a regular file (its real path), or something else. */
export type PayloadEntry = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'other' };

/**
 * Resolve `name` in the payload folder `dir`, following symlinks: throws an Error saying why it cannot be
 * served when it leads outside the folder (`../x`, or a symlink whose target is outside) or to nothing (a
 * dangling symlink, a missing file). A symlink to another file in the folder is fine. Runtime routes reach
 * this from the network, so nothing may escape the folder.
 */
export function resolvePayload(dir: string, name: string): PayloadEntry {
  const root = resolve(dir);
  const path = resolve(root, name);
  if (outside(root, path)) {
    throw new Error(`${name} is outside the payload folder ${dir}: name a file in it, as GET /payloads/ lists them`);
  }
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    throw new Error(`the payload folder ${dir} does not exist`);
  }
  try {
    real = realpathSync(path);
  } catch {
    // lstat succeeds on a dangling symlink: say so rather than "not found" for a name ls shows.
    let target: string | null = null;
    try {
      if (lstatSync(path).isSymbolicLink()) target = readlinkSync(path);
    } catch {
      // Not there at all.
    }
    throw new Error(target !== null ? `${name} in the payload folder ${dir} is a symlink to a missing file (${target})`
      : `${name} not found in the payload folder ${dir}`);
  }
  if (outside(realRoot, real)) {
    throw new Error(`${name} in the payload folder ${dir} is a symlink leading outside it (to ${real}): only files inside the folder are served`);
  }
  return statSync(real).isFile() ? { kind: 'file', path: real } : { kind: 'other' };
}

function outside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/**
 * The real path of payload file `name` in `dir`, or an Error saying why it cannot be served: it must lead
 * (symlinks followed) to a regular file inside the folder.
 */
export function payloadFilePath(dir: string, name: string): string {
  const entry = resolvePayload(dir, name);
  if (entry.kind !== 'file') throw new Error(`${name} in the payload folder ${dir} is not a regular file`);
  return entry.path;
}


// The payload folder (--payloads DIR): every file served at /payloads/<name> (with or without its
// extension), with a strong ETag, 304 on If-None-Match, and gzip/brotli variants compressed at startup.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { sendError } from '../http/errors.js';
import { quoteValue } from '../grammar/errors.js';
import { makeHead, prepare, type Head, ownBytes } from '../http/head.js';
import type { Responder } from '../http/scheduler.js';
import type { HttpRequest } from '../http/uws.js';
import { resolvePayload } from '../config/file.js';
import { contentTypeOf } from './configured.js';
import type { Route, RouteContext } from './context.js';

/** Files the folder holds that are not payloads (the folder's own docs and generator). */
const Skipped = /^(README\.md|generate\.[tj]s|\..*)$/;
const AcceptEncoding = ownBytes('accept-encoding');
const IfNoneMatch = ownBytes('if-none-match');

interface Variant {
  readonly head: Head;
  readonly notModified: Head;
  readonly etag: string;
  readonly body: Buffer;
}

/** One payload file with its three encodings. */
interface Payload {
  readonly file: string;
  readonly name: string;
  readonly contentType: string;
  readonly identity: Variant;
  readonly gzip: Variant;
  readonly br: Variant;
}

function variant(type: string, body: Buffer, etag: string, encoding: string | null): Variant {
  const extra: [string, string][] = [['ETag', etag], ['Vary', 'Accept-Encoding']];
  if (encoding !== null) extra.push(['Content-Encoding', encoding]);
  return { head: makeHead(200, type, extra), notModified: makeHead(304, null, extra.slice(0, 2)), etag, body };
}

/**
 * The payload files of a folder: name and real path of every regular file (symlinks followed), sorted;
 * sub-folders and the folder's own docs are skipped. Throws an Error naming the entry when one cannot be
 * served safely: a dangling symlink, or one leading outside the folder (it would serve /etc/hostname).
 */
export function listPayloads(dir: string): { file: string; path: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: { file: string; path: string }[] = [];
  for (const file of names.filter((f) => !Skipped.test(f)).sort()) {
    const entry = resolvePayload(dir, file);
    if (entry.kind === 'file') files.push({ file, path: entry.path });
  }
  return files;
}

/** Read and compress every payload file once (per worker); throws as listPayloads does. */
export function loadPayloads(dir: string): Payload[] {
  return listPayloads(dir).map(({ file, path }) => {
    const body = readFileSync(path);
    const type = contentTypeOf(file);
    // Strong ETag from the bytes; each encoding is a different representation, so a different tag.
    const tag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    return {
      file,
      name: basename(file, extname(file)),
      contentType: type,
      identity: variant(type, body, `"${tag}"`, null),
      // Middle compression levels: ~25 ms per worker for the 1 MB payload; brotli 11 would take ~1.7 s and
      // break the start-up budget for a few percent of size.
      gzip: variant(type, gzipSync(body, { level: 6 }), `"${tag}-gz"`, 'gzip'),
      br: variant(type, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }), `"${tag}-br"`, 'br'),
    };
  });
}

/**
 * The encoding to serve for an Accept-Encoding value (RFC 9110 12.5.3): the acceptable coding with the
 * highest q among br and gzip (br on a tie: smaller), a coding not listed taking the q of `*` if present;
 * identity when neither is acceptable (or the header is absent or empty).
 */
export function chooseEncoding(accept: string): 'br' | 'gzip' | 'identity' {
  if (accept === '') return 'identity';
  let br = -1;
  let gzip = -1;
  let any = -1;
  for (const part of accept.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    // A malformed weight counts as a refusal rather than a guess.
    const weight = Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    const name = coding.trim();
    if (name === 'br') br = weight;
    else if (name === 'gzip' || name === 'x-gzip') gzip = weight;
    else if (name === '*') any = weight;
  }
  if (br < 0) br = Math.max(any, 0);
  if (gzip < 0) gzip = Math.max(any, 0);
  if (br > 0 && br >= gzip) return 'br';
  return gzip > 0 ? 'gzip' : 'identity';
}

function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The payload route table: the listing and one route serving every file. */
export function payloadRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  const payloads = loadPayloads(ctx.config.payloadsDir);
  const byName = new Map<string, Payload>();
  for (const p of payloads) {
    byName.set(p.file, p);
    if (!byName.has(p.name)) byName.set(p.name, p);
  }
  const listing = prepare(200, 'application/json', JSON.stringify({
    folder: ctx.config.payloadsDir,
    payloads: payloads.map((p) => ({
      name: p.name, file: p.file, contentType: p.contentType, bytes: p.identity.body.length,
      gzipBytes: p.gzip.body.length, brBytes: p.br.body.length, route: `/payloads/${p.name}`,
    })),
  }, null, 2));
  const body: Responder = { send(res, arg) { const v = arg as Variant; ctx.filler.sendBuffer(res, v.head, v.body); } };
  const notModified: Responder = { send(res, arg) { writer.sendEmpty(res, (arg as Variant).notModified); } };
  const pick = (p: Payload, req: HttpRequest): Variant => {
    const enc = chooseEncoding(req.getHeader(AcceptEncoding));
    return enc === 'br' ? p.br : enc === 'gzip' ? p.gzip : p.identity;
  };
  return [
    { pattern: '/payloads', about: 'JSON listing of the payload folder', handler: (res) => writer.send(res, listing) },
    { pattern: '/payloads/', about: 'same listing', handler: (res) => writer.send(res, listing) },
    { pattern: '/payloads/:name', about: 'a payload file: ETag, 304, gzip/br by Accept-Encoding',
      handler: (res, req) => {
        const p = byName.get(req.getParameter(0));
        if (p === undefined) {
          sendError(writer, res, 404, `no payload ${quoteValue(req.getParameter(0))}: GET /payloads/ lists them`, 'name');
          return;
        }
        const v = pick(p, req);
        const inm = req.getHeader(IfNoneMatch);
        ctx.respond(res, req, inm !== '' && matches(inm, v.etag) ? notModified : body, v, 0, 0);
      } },
  ];
}

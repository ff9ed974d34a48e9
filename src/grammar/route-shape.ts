// Route paths as uWS 20.30's router sees them, and the limits that keep every path we register inside what
// it accepts. uWS aborts the whole process ("Internal routing error", exit 134) when a pattern it considers
// already registered is registered again, so every path is checked here before it can reach app.any.
//
// Measured on this build (child-process probes registering patterns with app.any; see test/http/route-shape):
// - A pattern is split after its first character on "/" and only the first 100 segments are read: two
//   patterns that agree on their first 100 segments are the same route (the second aborts), and a longer
//   pattern silently matches every URL that shares those 100 segments.
// - Same route = the same segments, byte for byte (":x" and ":y" are different nodes: no abort, but the
//   second one never answers), for the same method; "/a" and "/a/" differ; empty segments are literal.
// - "*" is a wildcard only as a whole segment, and then matches the rest of the URL: segments after it are
//   never reached ("/a/*/b" is dead), and "*" inside a segment ("/a*") is a literal character.
// - ":name" matches one non-empty segment; a static segment beats a parameter, which beats "*".
// - No length limit on a pattern; a request whose head exceeds about 64 KB is dropped unanswered.

/** Most path segments uWS's router reads (MAX_URL_SEGMENTS in uWS 20.30). */
export const MaxPathSegments = 100;
/**
 * Longest configured path (UTF-8 bytes). uWS drops a request head over ~64 KB; gateways commonly cap the
 * request line far lower (nginx: 8 KB), and a longer path could only be a mistake.
 */
export const MaxPathBytes = 8192;

/** The segments uWS reads from a pattern or URL path (it steps over the leading "/"). */
export function pathSegments(path: string): string[] {
  return path.slice(1).split('/');
}

/**
 * The key under which uWS's router would see a path, with every ":name" reduced to ":". Two paths with the
 * same shape are registered once and share a cell (router.ts): ":x"/":y" are one shape because the second
 * could never answer, and only the first 100 segments count because uWS reads no more (a longer path is
 * refused by pathProblem; this cut is the guard that keeps even an unchecked one from aborting the process).
 */
export function routeShape(path: string): string {
  const segments = pathSegments(path).slice(0, MaxPathSegments);
  return `/${segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/')}`;
}

/** Why uWS's router could not take `path` as written (null when it can): one line for the user. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return `${path} must start with /`;
  const bytes = Buffer.byteLength(path);
  if (bytes > MaxPathBytes) return `the path is ${bytes} bytes long; at most ${MaxPathBytes}`;
  // A request target never holds these in its path: a route with them could never answer.
  // eslint-disable-next-line no-control-regex
  const bad = /[?#\s\x00-\x1f\x7f]/.exec(path);
  if (bad !== null) {
    return `${path} holds ${JSON.stringify(bad[0])}, which a request path never contains${bad[0] === '?' ? ' (the query is not part of the path: use {{query.<name>}} in a template)' : ''}`;
  }
  const segments = pathSegments(path);
  if (segments.length > MaxPathSegments) {
    return `the path has ${segments.length} segments; at most ${MaxPathSegments} (uWS matches on the first ${MaxPathSegments} only)`;
  }
  const star = segments.findIndex((s) => s.includes('*'));
  if (star >= 0 && (segments[star] !== '*' || star !== segments.length - 1)) {
    return `${path}: "*" is a wildcard only as the whole last segment (e.g. /api/*), matching the rest of the path`;
  }
  return null;
}

/**
 * Every built-in data route's pattern except the catch-all /* (a test checks this list against the route
 * table the app registers). The admin prefix must not overlap any of them.
 */
export const BuiltInPatterns: readonly string[] = [
  '/json/valid', '/json/invalid', '/delay/:duration', '/size/:size', '/xml', '/soap', '/resource', '/resource/:id', '/echo',
  '/json', '/plaintext',
  '/status/:codes', '/bytes/:size', '/drip', '/stream-bytes/:size', '/anything', '/anything/*', '/headers', '/redirect/:n', '/trailers',
  '/payloads', '/payloads/', '/payloads/:name', '/sse', '/ws/echo', '/ws/stream',
  '/v1/chat/completions', '/v1/completions', '/v1/responses', '/v1/embeddings', '/v1/models', '/v1/models/:id', '/v1/messages',
];

/**
 * Whether some request path is matched both by `${prefix}*` (the admin side, which takes every path of at
 * least one segment below the prefix) and by `pattern`. `prefix` is "/a/b/" form.
 */
function overlaps(prefix: string, pattern: string): boolean {
  const p = pathSegments(prefix).slice(0, -1);
  const b = pathSegments(pattern);
  for (let i = 0; i < Math.min(p.length, b.length); i++) {
    if (b[i] === '*') return true;
    if (!b[i].startsWith(':') && b[i] !== p[i]) return false;
  }
  return b.length > p.length;
}

/** The first built-in route the admin prefix would overlap (so one of the two would take the other's requests), or null. */
export function adminPrefixClash(prefix: string, patterns: readonly string[] = BuiltInPatterns): string | null {
  return patterns.find((b) => overlaps(prefix, b)) ?? null;
}

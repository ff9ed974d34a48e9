// httpbin's /redirect/:n: a 302 chain of n redirects ending at /anything.
import { wholeNumber } from '../../grammar/integer.js';
import { GrammarError, quoteValue } from '../../grammar/errors.js';
import { sendBadValue } from '../../http/errors.js';
import type { Route, RouteContext } from '../context.js';

/** Most redirects /redirect/{n} may chain. */
export const MaxRedirects = 100;

/** /redirect/:n. */
export function redirectRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  return [
    { pattern: '/redirect/:n', about: '302 chain of n redirects ending at /anything',
      handler: (res, req) => {
        const text = req.getParameter(0);
        const n = wholeNumber(text);
        if (n < 1 || n > MaxRedirects) {
          sendBadValue(writer, res, new GrammarError('n', `invalid redirect count ${quoteValue(text)}: use a whole number from 1 to ${MaxRedirects}`));
          return;
        }
        writer.countResponse(302, 0);
        res.writeStatus('302 Found');
        res.writeHeader('Location', n === 1 ? '/anything' : `/redirect/${n - 1}`);
        writer.endEmpty(res);
      } },
  ];
}

import { badRequest } from '../errors.ts';
import type { Middleware } from './pipeline.ts';

/**
 * An HTTP authority as Spin accepts one in `Host` (it parses the header as an `http::uri::Authority`
 * and refuses the request otherwise: crates/trigger-http/src/server.rs, `set_req_uri`, v4.0.2):
 * optional userinfo, a registered name or a bracketed IP literal, an optional port — never `/`,
 * `?`, `#` or whitespace.
 */
const AUTHORITY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:%]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;

export function isAuthority(value: string): boolean {
  return AUTHORITY.test(value);
}

/**
 * Refuses a request whose `Host` is not an authority. The request URL a component sees is built
 * from `Host` and the path, so a Host like `x/v1/users/me?` would move the path the router reads
 * away from the one the runtime routed on; real Spin never lets such a Host through, and this keeps
 * any runtime that does from re-routing a request. A request without `Host` (Spin removes it from
 * service-chaining calls) is fine.
 */
export function hostHeader(): Middleware<{ readonly request: Request }> {
  return async (context, next) => {
    const host = context.request.headers.get('host');
    if (host !== null && !isAuthority(host)) throw badRequest('bad_host', 'The Host header is not a valid authority');
    return next();
  };
}

import { authenticate, requireRole, type Principal } from '../auth.ts';
import type { AuthRequirement, RequestContext, RouteInput } from '../context.ts';
import { assertNotRevoked } from '../revocation.ts';
import type { Middleware } from './pipeline.ts';

/**
 * The caller proven by the request's bearer token: signature and claims (auth.ts), then not
 * revoked since it was issued (revocation.ts: 401 `token_revoked`, 503 when Redis cannot tell).
 */
export async function verifyCaller(context: RequestContext): Promise<Principal> {
  const { profile } = context;
  const principal = await profile.time('jwt', () => authenticate(context.request, context.config.authSecret, context.now()));
  await profile.time('revocation', () => assertNotRevoked(context.redis, principal.claims, context.log, context.redisReadAlong));
  return principal;
}

/**
 * Sets the route's principal from the bearer token as `auth` demands: `required` or a role needs
 * a valid, unrevoked token (401) and, for a role, that role (403); `optional` verifies a token
 * only when one is sent, so a bad or revoked token is still a 401; no requirement leaves the
 * principal null.
 */
export function authenticateAs(auth: AuthRequirement | undefined): Middleware<RouteInput> {
  return async (context, next) => {
    if (auth !== undefined && (auth !== 'optional' || context.request.headers.has('authorization'))) {
      context.principal = await verifyCaller(context);
      if (auth !== 'required' && auth !== 'optional') requireRole(context.principal, auth);
    }
    return next();
  };
}

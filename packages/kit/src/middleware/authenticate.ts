import { authenticate, requireRole } from '../auth.ts';
import type { AuthRequirement, RouteInput } from '../context.ts';
import type { Middleware } from './pipeline.ts';

/**
 * Sets the route's principal from the bearer token as `auth` demands: `required` or a role needs
 * a valid token (401) and, for a role, that role (403); `optional` verifies a token only when one
 * is sent, so a bad token is still a 401; no requirement leaves the principal null.
 */
export function authenticateAs(auth: AuthRequirement | undefined): Middleware<RouteInput> {
  return async (context, next) => {
    if (auth !== undefined && (auth !== 'optional' || context.request.headers.has('authorization'))) {
      context.principal = authenticate(context.request, context.config.authSecret, context.now());
      if (auth !== 'required' && auth !== 'optional') requireRole(context.principal, auth);
    }
    return next();
  };
}

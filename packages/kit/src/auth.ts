import type { Role } from '@authorworks/domain';
import { HttpError, forbidden, unauthorized } from './errors.ts';
import { TokenError, verifyAccessToken, type AccessTokenClaims } from './jwt.ts';

/** The caller as proven by a verified bearer token; never taken from identity headers. */
export interface Principal {
  userId: string;
  roles: Role[];
  claims: AccessTokenClaims;
}

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!match) throw unauthorized('invalid_token', 'The Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/**
 * Verifies the request's bearer token. Client-sent identity headers (`X-User-Id`, `Remote-User`,
 * ...) play no part: identity comes from the signature alone.
 */
export async function authenticate(request: Request, secret: string, now?: number): Promise<Principal> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized('missing_token', 'Sign in: this needs a bearer token');
  try {
    const claims = await verifyAccessToken(token, now === undefined ? { secret } : { secret, now });
    return { userId: claims.sub, roles: claims.roles, claims };
  } catch (error) {
    if (error instanceof TokenError) {
      if (error.reason === 'expired') throw unauthorized('token_expired', 'The access token has expired; refresh it');
      throw new HttpError(401, 'invalid_token', 'The access token is not valid', {
        headers: { 'www-authenticate': 'Bearer realm="authorworks", error="invalid_token"' },
        cause: error,
      });
    }
    throw error;
  }
}

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role);
}

/** Throws 403 unless the principal holds one of `roles`. */
export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (!roles.some((role) => hasRole(principal, role))) throw forbidden(`This needs the ${roles.join(' or ')} role`);
}

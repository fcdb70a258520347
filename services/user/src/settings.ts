import type { LoginRequest } from '@authorworks/domain';
import { findUserByLogin } from './users-table.ts';
import { constantTimeEqual, sha256Hex, utf8, type RateLimit, type RequestContext, type RouteContext, type ThrottleRule } from '@authorworks/kit';

/** Refresh tokens live 30 days; each use replaces the token. */
export const REFRESH_TOKEN_TTL_DAYS = 30;

/** Header the reverse proxy (Traefik) adds with the `proxy_secret` variable's value. */
export const PROXY_SECRET_HEADER = 'x-authorworks-proxy-secret';

/** A proxy secret shorter than this would be guessable by the throttled-but-endless client. */
const MIN_PROXY_SECRET_LENGTH = 16;

export interface LoginThrottle {
  perAccount: RateLimit;
  perAddress: RateLimit;
}

function positiveInteger(context: RequestContext, name: string, fallback: number): number {
  const value = Number(context.config.optional(name, String(fallback)));
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

/** Failed logins allowed per account and per client address within one window. */
export function loginThrottle(context: RequestContext): LoginThrottle {
  const windowSeconds = positiveInteger(context, 'login_window_seconds', 900);
  return {
    perAccount: { limit: positiveInteger(context, 'login_max_failures_per_account', 5), windowSeconds },
    perAddress: { limit: positiveInteger(context, 'login_max_failures_per_address', 20), windowSeconds },
  };
}

type LoginContext = RouteContext<undefined, undefined, typeof LoginRequest, undefined>;

/** Only a wrong password counts against the limits; a suspended account or a bad body does not. */
const failedLogin = (response: Response) => response.status === 401;

/** The login route's throttle: failed attempts per account (cleared by a success) and per client address. */
export const loginThrottleRules: ThrottleRule<LoginContext>[] = [
  {
    name: 'account',
    // Keyed by the account, so its email and its username share one counter; names that match no
    // account are counted by the name (an unknown name costs the attacker the same as a known one).
    key: async (context) => {
      const { body } = context;
      const user = await findUserByLogin(context.db(), body);
      return user ? `login-failures:account:${user.id}` : `login-failures:name:${sha256Hex(body.email !== undefined ? `email:${body.email}` : `username:${body.username}`)}`;
    },
    limit: (context) => loginThrottle(context).perAccount,
    counts: failedLogin,
    resets: (response) => response.ok,
  },
  {
    name: 'address',
    key: (context) => `login-failures:address:${throttleAddress(context)}`,
    limit: (context) => loginThrottle(context).perAddress,
    counts: failedLogin,
  },
];

/**
 * True when the request carries the proxy secret, i.e. it came through our Traefik, which strips
 * and sets the forwarded headers. Only then are X-Real-Ip and Remote-* believed.
 */
export function fromTrustedProxy(context: RequestContext): boolean {
  const expected = context.config.optional('proxy_secret', '');
  if (expected.length < MIN_PROXY_SECRET_LENGTH) return false;
  const given = context.request.headers.get(PROXY_SECRET_HEADER);
  return given !== null && constantTimeEqual(utf8(given), utf8(expected));
}

/**
 * The address to throttle by: Spin's `spin-client-addr`, or, behind the trusted proxy, the
 * client address Traefik reports (X-Real-Ip, else the right-most X-Forwarded-For entry, the one
 * Traefik itself appended).
 */
export function throttleAddress(context: RequestContext): string {
  if (fromTrustedProxy(context)) {
    const realIp = context.request.headers.get('x-real-ip')?.trim();
    if (realIp) return realIp;
    const forwarded = context.request.headers.get('x-forwarded-for')?.split(',').map((part) => part.trim()).filter(Boolean);
    const last = forwarded?.[forwarded.length - 1];
    if (last) return last;
  }
  return context.clientAddress ?? 'unknown';
}

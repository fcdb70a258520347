import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Role } from '@authorworks/domain';
import { z } from 'zod';
import { base64UrlDecode, base64UrlDecodeText, base64UrlEncode, utf8 } from './encoding.ts';
import { randomToken } from './random.ts';

export const JWT_ISSUER = 'authorworks';
export const JWT_AUDIENCE = 'authorworks-api';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** Tolerated clock difference between the issuing and the verifying component. */
export const CLOCK_SKEW_SECONDS = 30;

const HEADER = base64UrlEncode(utf8(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));

export const AccessTokenClaims = z.object({
  // Every service keys rows by it (`$1::text::uuid`): anything but a user id is refused here, not by a failing cast.
  sub: z.uuid(),
  roles: z.array(Role),
  iss: z.literal(JWT_ISSUER),
  aud: z.union([z.literal(JWT_AUDIENCE), z.array(z.string()).refine((list) => list.includes(JWT_AUDIENCE))]),
  iat: z.number().int(),
  nbf: z.number().int().optional(),
  exp: z.number().int(),
  jti: z.string().optional(),
  /** The session (refresh-token family) the token belongs to; logging that session out revokes it (revocation.ts). */
  sid: z.string().max(64).optional(),
  /** `iat` in milliseconds: revocation compares it with a user's epoch, which a second would blur (revocation.ts). */
  iat_ms: z.number().int().optional(),
  /**
   * Delegation (RFC 8693's actor claim): a worker acting for `sub` names itself here, e.g. a graphics
   * worker writing a thumbnail to storage as the job's owner (jobs.ts `callServiceAs`).
   */
  act: z.object({ sub: z.string().min(1).max(100) }).optional(),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaims>;

/** Why a token was refused; the reason is logged, the client only learns `invalid_token` or `token_expired`. */
export type TokenFailure =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'bad_claims'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'not_yet_valid'
  | 'expired';

export class TokenError extends Error {
  constructor(readonly reason: TokenFailure) {
    super(`Token refused: ${reason}`);
    this.name = 'TokenError';
  }
}

function sign(signingInput: string, secret: string): Uint8Array {
  return hmac(sha256, utf8(secret), utf8(signingInput));
}

export interface SignOptions {
  secret: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: number;
  ttlSeconds?: number;
}

/** Issues an HS256 access token for `sub` with `roles`, valid from now for `ttlSeconds`. */
export function signAccessToken(subject: { sub: string; roles: Role[]; sid?: string; actor?: string }, options: SignOptions): string {
  const issuedAtMs = Math.floor(options.now ?? Date.now());
  const issuedAt = Math.floor(issuedAtMs / 1000);
  const claims: AccessTokenClaims = {
    sub: subject.sub,
    roles: subject.roles,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + (options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS),
    jti: randomToken(12),
    ...(subject.sid === undefined ? {} : { sid: subject.sid }),
    iat_ms: issuedAtMs,
    ...(subject.actor === undefined ? {} : { act: { sub: subject.actor } }),
  };
  return signClaims(claims, options.secret);
}

/** The HS256 token of `claims` as given (signAccessToken fills them in). */
export function signClaims(claims: AccessTokenClaims, secret: string): string {
  const signingInput = `${HEADER}.${base64UrlEncode(utf8(JSON.stringify(claims)))}`;
  return `${signingInput}.${base64UrlEncode(sign(signingInput, secret))}`;
}

function decodeJsonPart(part: string): unknown {
  const text = base64UrlDecodeText(part);
  if (text === null) throw new TokenError('malformed');
  try {
    return JSON.parse(text);
  } catch {
    throw new TokenError('malformed');
  }
}

export interface VerifyOptions {
  secret: string;
  now?: number;
  skewSeconds?: number;
}

/** At most this many secrets' keys are kept (a component has one; tests use many). */
const MAX_CACHED_KEYS = 8;
const verificationKeys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key of `secret` for Web Crypto, imported once per secret value. The secret is a Spin
 * variable, read at request time: nothing is imported while the component is pre-initialised, and
 * an instance (one request, on Spin) only ever holds the key of the secret it was given.
 */
function verificationKey(secret: string): Promise<CryptoKey> {
  let key = verificationKeys.get(secret);
  if (!key) {
    if (verificationKeys.size >= MAX_CACHED_KEYS) verificationKeys.clear();
    key = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    key.catch(() => verificationKeys.delete(secret));
    verificationKeys.set(secret, key);
  }
  return key;
}

/** Drops every imported key (the build-time warm-up's, so the snapshot holds none). */
export function forgetVerificationKeys(): void {
  verificationKeys.clear();
}

/** The claims of a token's payload, checked for shape, issuer and audience (no signature, no times). */
export function decodeClaims(payloadPart: string): AccessTokenClaims {
  const payload = decodeJsonPart(payloadPart);
  if (typeof payload === 'object' && payload !== null) {
    const { iss, aud } = payload as Record<string, unknown>;
    if (iss !== JWT_ISSUER) throw new TokenError('wrong_issuer');
    if (aud !== JWT_AUDIENCE && !(Array.isArray(aud) && aud.includes(JWT_AUDIENCE))) throw new TokenError('wrong_audience');
  }
  const parsed = AccessTokenClaims.safeParse(payload);
  if (!parsed.success) throw new TokenError('bad_claims');
  return parsed.data;
}

/**
 * Verifies an HS256 token and returns its claims. The algorithm is pinned: the header must say
 * HS256, so `none` and public-key algorithms (the classic RS256/HS256 confusion) are refused
 * before any signature work. The signature is checked by Web Crypto (`crypto.subtle.verify`,
 * native in the component engine and constant-time; the pure-JS HMAC took ~1.2 ms there).
 */
export async function verifyAccessToken(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonPart(headerPart);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new TokenError('malformed');
  const { alg, typ, crit } = header as Record<string, unknown>;
  if (alg !== 'HS256') throw new TokenError('unsupported_algorithm');
  if (typ !== undefined && typ !== 'JWT') throw new TokenError('malformed');
  if (crit !== undefined) throw new TokenError('malformed');

  const signature = base64UrlDecode(signaturePart);
  if (!signature) throw new TokenError('malformed');
  const key = await verificationKey(options.secret);
  if (!(await crypto.subtle.verify('HMAC', key, signature, utf8(`${headerPart}.${payloadPart}`)))) throw new TokenError('bad_signature');

  const claims = decodeClaims(payloadPart);
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const skew = options.skewSeconds ?? CLOCK_SKEW_SECONDS;
  if (claims.nbf !== undefined && claims.nbf > nowSeconds + skew) throw new TokenError('not_yet_valid');
  if (claims.iat > nowSeconds + skew) throw new TokenError('not_yet_valid');
  if (claims.exp <= nowSeconds - skew) throw new TokenError('expired');
  return claims;
}

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { base64UrlEncode, utf8 } from './encoding.ts';
import { TokenError, signAccessToken, verifyAccessToken, type TokenFailure } from './jwt.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const now = Date.UTC(2026, 10, 28, 10, 0, 0);
const subject = { sub: '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10', roles: ['user' as const] };

const part = (value: unknown) => base64UrlEncode(utf8(JSON.stringify(value)));
function forge(header: unknown, claims: unknown, key = secret): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${base64UrlEncode(hmac(sha256, utf8(key), utf8(input)))}`;
}
const nowSeconds = Math.floor(now / 1000);
const goodClaims = { ...subject, iss: 'authorworks', aud: 'authorworks-api', iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + 900 };

async function failure(token: string, at = now, key = secret): Promise<TokenFailure> {
  try {
    await verifyAccessToken(token, { secret: key, now: at });
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
  throw new Error('token was accepted');
}

describe('access tokens', () => {
  it('round-trips sub, roles, iss, aud and a 15 minute lifetime', async () => {
    const claims = await verifyAccessToken(signAccessToken(subject, { secret, now }), { secret, now });
    expect(claims).toMatchObject({ ...subject, iss: 'authorworks', aud: 'authorworks-api', iat: nowSeconds, exp: nowSeconds + 900 });
  });

  it('refuses an expired token, allowing 30 s of skew', async () => {
    const token = signAccessToken(subject, { secret, now });
    await expect(verifyAccessToken(token, { secret, now: now + 900_000 + 29_000 })).resolves.toMatchObject(subject);
    expect(await failure(token, now + 900_000 + 31_000)).toBe('expired');
  });

  it('refuses a token that is not valid yet', async () => {
    expect(await failure(forge({ alg: 'HS256', typ: 'JWT' }, { ...goodClaims, nbf: nowSeconds + 120 }))).toBe('not_yet_valid');
  });

  it('refuses a tampered payload and a foreign key', async () => {
    const [header, , signature] = signAccessToken(subject, { secret, now }).split('.');
    const admin = part({ ...goodClaims, roles: ['admin'] });
    expect(await failure(`${header}.${admin}.${signature}`)).toBe('bad_signature');
    expect(await failure(forge({ alg: 'HS256', typ: 'JWT' }, goodClaims, 'another-secret-of-sufficient-length!!'))).toBe('bad_signature');
    expect(await failure(`${header}.${part(goodClaims)}.${signature!.slice(0, 20)}`)).toBe('bad_signature');
    expect(await failure(`${header}.${part(goodClaims)}.`)).toBe('bad_signature');
  });

  it('checks each token against the secret it is given, whichever keys were used before', async () => {
    const other = 'another-secret-of-sufficient-length!!';
    const token = signAccessToken(subject, { secret, now });
    await expect(verifyAccessToken(token, { secret, now })).resolves.toMatchObject(subject);
    expect(await failure(token, now, other)).toBe('bad_signature');
    await expect(verifyAccessToken(signAccessToken(subject, { secret: other, now }), { secret: other, now })).resolves.toMatchObject(subject);
    for (let i = 0; i < 20; i++) expect(await failure(token, now, `${other}-${i}`)).toBe('bad_signature');
    await expect(verifyAccessToken(token, { secret, now })).resolves.toMatchObject(subject);
  });

  it('refuses alg none, with or without a signature', async () => {
    expect(await failure(`${part({ alg: 'none', typ: 'JWT' })}.${part(goodClaims)}.`)).toBe('unsupported_algorithm');
    expect(await failure(forge({ alg: 'none' }, goodClaims))).toBe('unsupported_algorithm');
    expect(await failure(forge({ alg: 'hs256' }, goodClaims))).toBe('unsupported_algorithm');
  });

  it('refuses an RS256 header even when HMAC-signed with the secret (key confusion)', async () => {
    expect(await failure(forge({ alg: 'RS256', typ: 'JWT' }, goodClaims))).toBe('unsupported_algorithm');
  });

  it('refuses the wrong audience or issuer', async () => {
    expect(await failure(forge({ alg: 'HS256' }, { ...goodClaims, aud: 'another-api' }))).toBe('wrong_audience');
    expect(await failure(forge({ alg: 'HS256' }, { ...goodClaims, iss: 'someone-else' }))).toBe('wrong_issuer');
  });

  it('refuses malformed tokens and claims', async () => {
    expect(await failure('not-a-token')).toBe('malformed');
    expect(await failure('a.b.c')).toBe('malformed');
    expect(await failure(forge({ alg: 'HS256' }, { ...goodClaims, roles: ['superuser'] }))).toBe('bad_claims');
    expect(await failure(forge({ alg: 'HS256', crit: ['exp'] }, goodClaims))).toBe('malformed');
  });
});

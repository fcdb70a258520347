import { scrypt } from '@noble/hashes/scrypt.js';
import { base64UrlDecode, base64UrlEncode, constantTimeEqual, utf8 } from './encoding.ts';
import { randomBytes } from './random.ts';

export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

/**
 * Chosen by measuring inside the compiled component (StarlingMonkey interprets JS, roughly 100×
 * slower than Node for this code), as high as a login's ~250 ms budget allows: with
 * componentize-js 0.23.0 on the 2-core dev machine at load ~1.5, N=2^10 costs 122–126 ms per hash
 * (median of 11, the same on 0.19.3), so N=2^11 (256 KiB) ~245 ms. The parameters are stored with
 * each hash and `needsRehash` upgrades old hashes at the next successful login, so they can be
 * raised again once the runtime is faster (AOT/weval), without a migration. Deployments that need
 * OWASP-strength hashing sign users in through Authelia (argon2id, native).
 */
export const PASSWORD_HASH_PARAMETERS: ScryptParameters = { logN: 11, r: 1, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(password: string, salt: Uint8Array, parameters: ScryptParameters): Uint8Array {
  // No Unicode normalisation: StarlingMonkey has no String.prototype.normalize, and a hash must
  // come out the same in Node and in the component.
  return scrypt(utf8(password), salt, {
    N: 2 ** parameters.logN,
    r: parameters.r,
    p: parameters.p,
    dkLen: KEY_LENGTH,
    // 64 MiB ceiling so a forged stored hash cannot make the component allocate without bound.
    maxmem: 64 * 1024 * 1024 + 1024,
  });
}

/** `$scrypt$ln=11,r=1,p=1$<salt>$<key>` (base64url), self-describing so parameters can change. */
export function hashPassword(password: string, parameters: ScryptParameters = PASSWORD_HASH_PARAMETERS): string {
  const salt = randomBytes(SALT_LENGTH);
  const key = derive(password, salt, parameters);
  return `$scrypt$ln=${parameters.logN},r=${parameters.r},p=${parameters.p}$${base64UrlEncode(salt)}$${base64UrlEncode(key)}`;
}

function parseHash(stored: string): { parameters: ScryptParameters; salt: Uint8Array; key: Uint8Array } | null {
  const match = FORMAT.exec(stored);
  if (!match) return null;
  const parameters = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (parameters.logN < 1 || parameters.logN > 20 || parameters.r < 1 || parameters.p < 1) return null;
  const salt = base64UrlDecode(match[4]!);
  const key = base64UrlDecode(match[5]!);
  if (!salt || !key) return null;
  return { parameters, salt, key };
}

/** True when `password` matches `stored`; the comparison is constant-time. */
export function verifyPassword(password: string, stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  return constantTimeEqual(derive(password, parsed.salt, parsed.parameters), parsed.key);
}

/** True when `stored` was made with weaker parameters than the current ones. */
export function needsRehash(stored: string, current: ScryptParameters = PASSWORD_HASH_PARAMETERS): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  const { logN, r, p } = parsed.parameters;
  return logN < current.logN || r < current.r || p < current.p;
}

/**
 * The hash of a random password that was thrown away: verifying against it when the account does
 * not exist makes "no such user" take as long as "wrong password", so timing does not reveal
 * which emails are registered.
 */
export const DECOY_PASSWORD_HASH = '$scrypt$ln=11,r=1,p=1$njGwkdI7_LHZYM1DWFCIhg$Z8Kg97Lr9PXBOfP3gB8M9HqkbcbpuBwUz8SqWLWuQeE';

import { describe, expect, it } from 'vitest';
import { DECOY_PASSWORD_HASH, PASSWORD_HASH_PARAMETERS, hashPassword, needsRehash, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('verifies the right password only, with a fresh salt each time', () => {
    const first = hashPassword('correct horse battery');
    const second = hashPassword('correct horse battery');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^\$scrypt\$ln=11,r=1,p=1\$/);
    expect(verifyPassword('correct horse battery', first)).toBe(true);
    expect(verifyPassword('correct horse batterY', first)).toBe(false);
    expect(verifyPassword('anything', 'not a hash')).toBe(false);
  });

  it('hashes the exact UTF-8 bytes (no normalisation, which components lack)', () => {
    expect(verifyPassword('caf\u00e9 au lait', hashPassword('caf\u00e9 au lait'))).toBe(true);
    expect(verifyPassword('caf\u00e9 au lait', hashPassword('cafe\u0301 au lait'))).toBe(false);
  });

  it('asks for a rehash when parameters were weaker', () => {
    expect(needsRehash(hashPassword('pw', { logN: 8, r: 1, p: 1 }))).toBe(true);
    expect(needsRehash(hashPassword('pw', PASSWORD_HASH_PARAMETERS))).toBe(false);
  });

  it('has a decoy hash in the current format that nothing matches', () => {
    // The decoy costs what a real account's hash costs, so an unknown account answers as late.
    expect(DECOY_PASSWORD_HASH.startsWith(`$scrypt$ln=${PASSWORD_HASH_PARAMETERS.logN},r=${PASSWORD_HASH_PARAMETERS.r},p=${PASSWORD_HASH_PARAMETERS.p}$`)).toBe(true);
    expect(needsRehash(DECOY_PASSWORD_HASH)).toBe(false);
    expect(verifyPassword('', DECOY_PASSWORD_HASH)).toBe(false);
  });
});

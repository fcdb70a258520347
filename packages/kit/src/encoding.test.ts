import { describe, expect, it } from 'vitest';
import { base64UrlDecode, base64UrlDecodeText, base64UrlEncode, constantTimeEqual, utf8 } from './encoding.ts';
import { randomUuid } from './random.ts';

describe('encoding', () => {
  it('base64url matches Node for every length', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      const encoded = base64UrlEncode(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(base64UrlDecode(encoded)).toEqual(bytes);
    }
  });
  it('refuses non-alphabet characters, padding and non-canonical endings', () => {
    expect(base64UrlDecode('ab+/')).toBeNull();
    expect(base64UrlDecode('YQ==')).toBeNull();
    expect(base64UrlDecode('YR')).toBeNull();
    expect(base64UrlDecode('Y')).toBeNull();
    expect(base64UrlDecode('YW J')).toBeNull(); // atob alone would skip the space
    expect(base64UrlDecode('YWJ=')).toBeNull();
    expect(base64UrlDecode('YWK')).toBeNull(); // 'YWI' is the canonical 'ab'
    expect(base64UrlDecode('YWI')).toEqual(utf8('ab'));
    expect(base64UrlDecode('')).toEqual(new Uint8Array(0));
  });
  it('decodes base64url text as UTF-8, refusing bytes that are not UTF-8', () => {
    for (const text of ['{"sub":"a"}', 'Grüße, 世界 🎉', '']) expect(base64UrlDecodeText(Buffer.from(text).toString('base64url'))).toBe(text);
    expect(base64UrlDecodeText(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url'))).toBeNull();
    expect(base64UrlDecodeText('ab+/')).toBeNull();
  });
  it('compares bytes', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });
  it('makes version 4 UUIDs', () => {
    expect(randomUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

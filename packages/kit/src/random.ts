import { base64UrlEncode, toHex } from './encoding.ts';

export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** A version 4 UUID (RFC 9562), from `crypto.getRandomValues` so it works in every runtime. */
export function randomUuid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An unguessable token (256 bits by default), base64url encoded. */
export function randomToken(bytes = 32): string {
  return base64UrlEncode(randomBytes(bytes));
}

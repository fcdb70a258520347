import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from './encoding.ts';

/** SHA-256 of a string's UTF-8 bytes, as lower-case hex (for storing tokens by their hash). */
export function sha256Hex(text: string): string {
  return toHex(sha256(utf8(text)));
}

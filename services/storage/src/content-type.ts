import { fileTypeFromBuffer } from 'file-type';
import { fromUtf8 } from '@authorworks/kit';

// The stored content type is what the bytes are, never what the client says. file-type knows
// binary formats by their magic numbers (it was measured right on 19 of 19 samples in the
// engine); text formats have none, so the first bytes of valid UTF-8 are looked at for markup.

const SNIFF_BYTES = 8 * 1024;

function textPrefix(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.indexOf(0) !== -1) return null;
  // The cut may fall inside a character: drop up to three bytes of it.
  for (let trim = 0; trim <= 3 && trim < head.length; trim++) {
    const text = fromUtf8(head.subarray(0, head.length - trim));
    if (text !== null) return text;
    if (head.length < SNIFF_BYTES) return null;
  }
  return null;
}

/** What a text body is, by its markup: HTML, SVG and XML are told apart, the rest is plain text. */
function textType(text: string): string {
  const start = text.replace(/^\uFEFF/, '').trimStart().toLowerCase();
  const lower = text.toLowerCase();
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && lower.includes('<svg'))) return 'image/svg+xml';
  if (/^<(!doctype html|html|head|body|script|iframe|meta|title|style|a\s|img\s|div|p[\s>])/.test(start) || /<(script|iframe|html)[\s>/]/.test(lower)) {
    return 'text/html';
  }
  if (start.startsWith('<?xml') || (start.startsWith('<') && /^<[a-z_][\w.-]*[\s>]/.test(start) && lower.includes('xmlns'))) return 'application/xml';
  return 'text/plain';
}

/** The media type of `bytes` (a copy the caller owns: file-type checks `instanceof Uint8Array`). */
export async function detectContentType(bytes: Uint8Array): Promise<string> {
  if (bytes.length === 0) return 'application/octet-stream';
  const detected = await fileTypeFromBuffer(bytes);
  // file-type names any XML `application/xml`; whether it is SVG (active) is for the markup check.
  if (detected && !/xml/.test(detected.mime)) return detected.mime;
  const text = textPrefix(bytes);
  return text === null ? 'application/octet-stream' : textType(text);
}

const ACTIVE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|application\/xml|text\/xml|[a-z]+\/[a-z0-9.+-]*\+xml|(application|text)\/(x-)?(javascript|ecmascript)|application\/x-shockwave-flash|application\/pdf)$/;

/** Types a browser would run script in: served only as an attachment, never inline. */
export function isActiveContent(type: string | null): boolean {
  if (!type) return false;
  return ACTIVE.test(type.split(';')[0]!.trim().toLowerCase());
}

/** The `image` of `image/png`, as lists filter by. */
export function familyOf(type: string): string {
  return type.slice(0, type.indexOf('/'));
}

/** The Content-Type a download is served with (text gets its charset). */
export function servedType(type: string): string {
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

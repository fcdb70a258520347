import { badRequest, fromUtf8 } from '@authorworks/kit';

// multipart/form-data (RFC 7578) over a body already in memory: the engine has no FormData, and
// the file part is returned as a view into the body, never copied. Searching uses the native
// TypedArray#indexOf for the delimiter's first byte: a JS loop over every byte costs ~150 ns
// each in the engine (seconds for 25 MiB).

export interface FilePart {
  /** The form field's name. */
  name: string;
  /** The `filename` parameter as sent (unsanitised), or null. */
  filename: string | null;
  /** The part's Content-Type as sent, or null. */
  contentType: string | null;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Limits on what a client controls in the envelope. */
export const MULTIPART_LIMITS = { parts: 8, headerBytes: 8 * 1024, boundaryChars: 70 } as const;

const CR = 13;
const LF = 10;
const DASH = 45;

const badMultipart = (message: string) => badRequest('bad_multipart', message);

/** The boundary of a `multipart/form-data; boundary=…` Content-Type, or null for another type. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))(?=\s*(;|$))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw badMultipart('multipart/form-data needs a boundary of 1 to 70 characters');
  return boundary;
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** The first index ≥ `from` where `needle` occurs in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  const last = haystack.length - needle.length;
  for (let at = haystack.indexOf(first, from); at !== -1 && at <= last; at = haystack.indexOf(first, at + 1)) {
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

/** `name="a"; filename*=UTF-8''%E2%9C%93` → a map of lowercased parameter names. */
function dispositionParameters(value: string): Map<string, string> {
  const parameters = new Map<string, string>();
  const pattern = /;\s*([a-z0-9*_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/gi;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const name = match[1]!.toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (name.endsWith('*')) {
      const extended = /^utf-8'[^']*'(.*)$/i.exec(raw);
      if (!extended) continue;
      try {
        parameters.set(name.slice(0, -1), decodeURIComponent(extended[1]!));
      } catch {
        throw badMultipart('A filename* parameter is not valid percent-encoded UTF-8');
      }
    } else if (!parameters.has(name)) {
      parameters.set(name, raw);
    }
  }
  return parameters;
}

function parseHeaders(bytes: Uint8Array): Map<string, string> {
  const text = fromUtf8(bytes);
  if (text === null) throw badMultipart('A part header is not valid UTF-8');
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw badMultipart('A part header line has no name');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * The first part that carries a file (a `filename` parameter), else the part named `file`.
 * 400 `bad_multipart` when the envelope is malformed, has more than 8 parts, or no file part.
 */
export function parseMultipartFile(body: Uint8Array<ArrayBuffer>, boundary: string): FilePart {
  const delimiter = ascii(`--${boundary}`);
  const nextDelimiter = ascii(`\r\n--${boundary}`);
  // The body starts with the delimiter, or a preamble ending in CRLF before it.
  let at = body.length >= delimiter.length && indexOfBytes(body.subarray(0, delimiter.length), delimiter) === 0 ? 0 : indexOfBytes(body, nextDelimiter);
  if (at === -1) throw badMultipart('The body does not contain the multipart boundary');
  at += at === 0 ? delimiter.length : nextDelimiter.length;
  let named: FilePart | undefined;
  for (let parts = 0; ; parts++) {
    if (body[at] === DASH && body[at + 1] === DASH) break;
    if (body[at] !== CR || body[at + 1] !== LF) throw badMultipart('A multipart boundary is not followed by CRLF');
    if (parts === MULTIPART_LIMITS.parts) throw badMultipart(`A form may have at most ${MULTIPART_LIMITS.parts} parts`);
    const headerStart = at + 2;
    const headerEnd = indexOfBytes(body.subarray(headerStart, headerStart + MULTIPART_LIMITS.headerBytes + 4), ascii('\r\n\r\n'));
    if (headerEnd === -1) throw badMultipart(`A part's headers are missing or longer than ${MULTIPART_LIMITS.headerBytes} bytes`);
    const headers = parseHeaders(body.subarray(headerStart, headerStart + headerEnd));
    const contentStart = headerStart + headerEnd + 4;
    const contentEnd = indexOfBytes(body, nextDelimiter, contentStart);
    if (contentEnd === -1) throw badMultipart('A part is not closed by the boundary (the body was cut short?)');
    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\s*(;|$)/i.test(disposition)) throw badMultipart('Every part needs Content-Disposition: form-data');
    const parameters = dispositionParameters(disposition);
    const part: FilePart = {
      name: parameters.get('name') ?? '',
      filename: parameters.get('filename') ?? null,
      contentType: headers.get('content-type') ?? null,
      bytes: body.subarray(contentStart, contentEnd),
    };
    if (part.filename !== null) return part;
    if (part.name === 'file') named ??= part;
    at = contentEnd + nextDelimiter.length;
    if (at + 2 > body.length) throw badMultipart('The multipart body ends without its closing boundary');
  }
  if (named) return named;
  throw badMultipart('The form has no file part (send the file in a part with a filename)');
}

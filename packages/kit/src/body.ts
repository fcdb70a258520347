import { HttpError, badRequest } from './errors.ts';
import { fromUtf8 } from './encoding.ts';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `The request body is larger than ${limit} bytes`);
}

/** True for `application/json` and `application/<x>+json`, with or without parameters. */
export function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * Reads at most `limit` bytes of the body. A declared Content-Length over the limit is refused
 * before reading; a body that streams past it is cut off at the limit.
 */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads a JSON body: 415 unless it is declared JSON, 413 over `limit`, 400 if it does not parse.
 * With `optional`, no body at all (nothing, or only whitespace, of any declared type) is
 * `undefined` — for routes whose body may be left out.
 */
export async function readJsonBody(request: Request, limit = DEFAULT_MAX_BODY_BYTES, options: { optional?: boolean } = {}): Promise<unknown> {
  const json = isJsonMediaType(request.headers.get('content-type'));
  if (!json && !options.optional) throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json');
  const bytes = await readBodyBytes(request, limit);
  const text = fromUtf8(bytes);
  if (options.optional && (bytes.length === 0 || text?.trim() === '')) return undefined;
  if (!json) throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json');
  if (text === null) throw badRequest('malformed_json', 'The request body is not valid UTF-8');
  if (text.trim() === '') throw badRequest('malformed_json', 'The request body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest('malformed_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * `body` as a stream the engine can forward without JavaScript touching its bytes. Spin's JS
 * engine (StarlingMonkey) moves an incoming body — a request's, or an outbound fetch's response —
 * into an outgoing one (the response being sent, or a fetch's request body) natively, in reads of
 * up to 1 MiB, when that body was piped into a TransformStream whose readable end is the outgoing
 * body (`do_body_source_pull` in builtins/web/fetch/request-response.cpp). Passed on as it is
 * (`new Response(upstream.body)`), every 8 KiB chunk goes through the engine's JS streams
 * instead: measured on a 20 MiB download through the storage service, 2,560 reads and 2,560
 * writes of 8 KiB against 21 and 21, and ~270 → ~190 ms (bench/storage). A body that is not an
 * incoming one is piped through the same way, at the cost of one JS pipe.
 *
 * Send the returned stream or drop it; do not cancel it. In componentize-js 0.19.3's engine,
 * cancelling it while the pipe from an incoming body is set up traps the instance ("null function
 * or function signature mismatch"; found with HEAD on a storage download, which now drops the
 * GET's body instead — head-as-get.ts, services/storage/test/files.test.ts).
 */
export function forwardable(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  // The pipe's own failure reaches the reader of `readable` (the outgoing body); nothing to do here.
  void body.pipeTo(writable).catch(() => undefined);
  return readable;
}

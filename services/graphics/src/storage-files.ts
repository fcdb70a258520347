// The storage service as the worker uses it, through the job owner's token (`callServiceAs`), so
// storage itself decides what the owner may read and enforces the owner's quota on results.
import { StoredFile } from '@authorworks/domain';
import type { Config } from '@authorworks/kit';
import { z } from 'zod';

export type CallAs = (url: string, init?: RequestInit) => Promise<Response>;

/** A failure of the job's input or output that retrying cannot fix; `code` goes into the job's error. */
export class JobInputError extends Error {
  readonly permanent = true;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    // The name is the code, as for ImageError: the job's error reads `input_not_found: …`.
    this.name = code;
    this.code = code;
  }
}

export function storageBase(config: Config): string {
  return config.optional('storage_url', 'http://storage-api.spin.internal').replace(/\/+$/, '') + '/v1/storage';
}

async function failure(response: Response, what: string): Promise<Error> {
  if (response.status === 404 || response.status === 403) return new JobInputError('input_not_found', `${what}: no such file, or the job's owner may not read it`);
  const text = (await response.text().catch(() => '')).slice(0, 300);
  return new Error(`${what}: storage answered ${response.status} ${text}`);
}

/** The file's record, as its owner sees it. */
export async function fileRecord(call: CallAs, base: string, fileId: string): Promise<StoredFile> {
  const response = await call(`${base}/files/${fileId}`);
  if (!response.ok) throw await failure(response, 'reading the file record');
  return StoredFile.parse(await response.json());
}

/** The first `length` bytes (a ranged read; the whole file when it is shorter). */
export async function readHead(call: CallAs, base: string, fileId: string, length: number): Promise<Uint8Array> {
  const response = await call(`${base}/files/${fileId}/content`, { headers: { range: `bytes=0-${length - 1}` } });
  if (response.status === 416) return new Uint8Array(0); // an empty file has no byte 0
  if (!response.ok) throw await failure(response, 'reading the file');
  return new Uint8Array(await response.arrayBuffer());
}

/** The whole file, refused above `maxBytes` before any byte is read. */
export async function readAll(call: CallAs, base: string, fileId: string, maxBytes: number): Promise<{ record: StoredFile; bytes: Uint8Array }> {
  const record = await fileRecord(call, base, fileId);
  if (record.size > maxBytes) throw new JobInputError('input_too_large', `the file has ${record.size} bytes; at most ${maxBytes} are read`);
  const response = await call(`${base}/files/${fileId}/content`);
  if (!response.ok) throw await failure(response, 'reading the file');
  return { record, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const CHUNK = 512 * 1024;

/**
 * A new file owned by the job's owner. The body goes out as a stream of ≤ 512 KiB chunks: the
 * engine mis-writes single outgoing buffers over 1 MiB (engine notes).
 */
export async function uploadFile(call: CallAs, base: string, filename: string, contentType: string, bytes: Uint8Array): Promise<StoredFile> {
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const end = Math.min(bytes.length, offset + CHUNK);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
  });
  const response = await call(`${base}/files?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'content-length': String(bytes.length) },
    body,
    // @ts-expect-error -- `duplex` is required by Node's fetch for stream bodies; the engine ignores it
    duplex: 'half',
  });
  if (response.status === 413 || response.status === 507) throw new JobInputError('quota_exceeded', `storage refused the result (${response.status})`);
  if (response.status !== 201) throw await failure(response, 'storing the result');
  return StoredFile.parse(await response.json());
}

/** Removes a result written before a later step failed, so nothing half-done stays in storage. */
export async function deleteFile(call: CallAs, base: string, fileId: string): Promise<void> {
  const response = await call(`${base}/files/${fileId}`, { method: 'DELETE' });
  if (!response.ok && response.status !== 404) throw await failure(response, 'deleting a partial result');
}

export const ResultFile = z.object({ fileId: z.string(), width: z.number(), height: z.number(), contentType: z.string(), size: z.number() });
export type ResultFile = z.infer<typeof ResultFile>;

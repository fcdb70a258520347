// The storage service as the job's owner sees it: inputs opened as ranged byte sources (only the
// bytes an operation needs cross the wire), results uploaded as new files in one streamed request
// with Content-Length, so a result is never held whole in the worker. Storage enforces access and
// quota: a file the owner may not read is `input_not_found`, exactly as if it did not exist.
import { CreateUploadRequest, StoredFile, UploadTicket } from '@authorworks/domain';
import type { z } from 'zod';
import type { ByteSource } from './byte-source.ts';
import { JobFailure } from './job-failure.ts';
import type { PartTarget, PartsProgress, ResultUpload } from './result-parts.ts';
import type { WavOutput } from './wav-output.ts';

export type CallStorage = (url: string, init?: RequestInit) => Promise<Response>;

export interface StorageFile extends ByteSource {
  file: StoredFile;
}

/**
 * Streaming reads ask storage for 4 MiB at a time: each read is a request that instantiates the
 * storage component and looks the file up (~0.7 s apiece for 256 KiB reads on the loaded bench
 * machine: a 10-minute WAV's waveform took 144 s through storage against 12 s in memory).
 */
export const STORAGE_READ_BYTES = 4 * 1024 * 1024;
const MAX_READ_BYTES = 8 * 1024 * 1024;

async function failureText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return body.error?.code ? `${body.error.code}: ${body.error.message ?? ''}`.slice(0, 300) : `status ${response.status}`;
  } catch {
    return `status ${response.status}`;
  }
}

export async function openStorageFile(call: CallStorage, base: string, fileId: string, maxBytes: number): Promise<StorageFile> {
  const response = await call(`${base}/v1/storage/files/${encodeURIComponent(fileId)}`);
  if (response.status === 404) throw new JobFailure('input_not_found', `file ${fileId} does not exist or its owner may not read it`);
  if (!response.ok) throw new Error(`storage answered ${await failureText(response)} for file ${fileId}`);
  const file = StoredFile.parse(await response.json());
  if (file.status !== 'available') throw new JobFailure('input_not_ready', `file ${fileId} is still ${file.status}`);
  if (file.size > maxBytes) throw new JobFailure('input_too_large', `file ${fileId} is ${file.size} bytes; the limit is ${maxBytes}`);
  return {
    file,
    size: file.size,
    chunkBytes: STORAGE_READ_BYTES,
    async read(start, end) {
      end = Math.min(end, file.size);
      if (end <= start) return new Uint8Array(0);
      if (end - start > MAX_READ_BYTES) throw new RangeError(`a read of ${end - start} bytes`);
      const answer = await call(`${base}/v1/storage/files/${encodeURIComponent(fileId)}/content`, { headers: { range: `bytes=${start}-${end - 1}` } });
      if (answer.status === 404) throw new JobFailure('input_not_found', `file ${fileId} disappeared while it was being read`);
      if (answer.status !== 206 && !(answer.status === 200 && start === 0 && end === file.size)) {
        throw new Error(`storage answered ${await failureText(answer)} to a range read of file ${fileId}`);
      }
      // The file must not change under a job: a new version would mix two recordings.
      const total = answer.headers.get('content-range')?.split('/')[1];
      if (answer.status === 206 && total !== undefined && Number(total) !== file.size) {
        throw new JobFailure('input_changed', `file ${fileId} changed while it was being read (now ${total} bytes)`);
      }
      const bytes = new Uint8Array(await answer.arrayBuffer());
      if (bytes.length !== end - start) throw new Error(`storage sent ${bytes.length} bytes for a range of ${end - start}`);
      return bytes;
    },
  };
}

/**
 * A pull stream over a writer: the writer's sink waits while the reader has enough queued, so at
 * most about `highWaterMark` bytes are held, however large the output.
 */
export function streamOutput(output: WavOutput, onProgress?: (fraction: number) => Promise<void>): ReadableStream<Uint8Array> {
  let wake: (() => void) | null = null;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        wake?.();
        wake = null;
        if (started) return;
        started = true;
        output
          .write(async (chunk) => {
            // Copies: the writers reuse their buffers. Pieces ≤ 1 MiB (the engine's outgoing-body limit per write).
            for (let at = 0; at < chunk.length; at += 512 * 1024) controller.enqueue(chunk.slice(at, at + 512 * 1024));
            while ((controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (wake = resolve));
          }, onProgress)
          .then(
            () => controller.close(),
            (error: unknown) => controller.error(error),
          );
      },
    },
    { highWaterMark: 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
}

export async function uploadResult(call: CallStorage, base: string, filename: string, body: { size: number; stream: ReadableStream<Uint8Array> | Uint8Array }): Promise<StoredFile> {
  const response = await call(`${base}/v1/storage/files?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.size) },
    body: body.stream instanceof Uint8Array ? body.stream : body.stream,
    ...(body.stream instanceof Uint8Array ? {} : { duplex: 'half' }),
  } as RequestInit);
  if (response.status === 413) throw new JobFailure('result_too_large', `the result (${body.size} bytes) is over storage's upload limit or the owner's quota: ${await failureText(response)}`);
  if (response.status !== 201) throw new Error(`storage refused the result: ${await failureText(response)}`);
  return StoredFile.parse(await response.json());
}

/**
 * Results above this go up as a multipart upload, part by part over several job steps. Storage's
 * default single-PUT limit is the same 16 MiB, so `POST /uploads` answers a multipart ticket for
 * every size above it (and one `POST /files`, limited to 25 MiB by default, takes those below).
 */
export const DIRECT_RESULT_BYTES = 16 * 1024 * 1024;

/** `POST /uploads` for a result of `size` bytes: the multipart upload its parts go to, valid for an hour. */
export async function createResultUpload(call: CallStorage, base: string, filename: string, size: number): Promise<ResultUpload> {
  const request: z.input<typeof CreateUploadRequest> = { filename, size, contentType: 'audio/wav', expiresInSeconds: 3600 };
  const response = await call(`${base}/v1/storage/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (response.status === 413) throw new JobFailure('result_too_large', `the result (${size} bytes) is over storage's large upload limit or the owner's quota: ${await failureText(response)}`);
  if (response.status !== 201) throw new Error(`storage refused the result's upload: ${await failureText(response)}`);
  const ticket = UploadTicket.parse(await response.json());
  if (ticket.kind !== 'multipart') {
    throw new JobFailure('result_too_large', `storage offered one presigned PUT for ${size} bytes (storage_max_single_put_bytes is above ${DIRECT_RESULT_BYTES}); the worker sends results in parts through storage and needs a multipart upload`);
  }
  return { fileId: ticket.file.id, size, partSize: ticket.partSize, partCount: ticket.partCount };
}

/** Parts go through storage (`PUT /uploads/{id}/parts/{n}`, checked against their SHA-256), as the owner. */
export function storagePartTarget(call: CallStorage, base: string): PartTarget {
  return {
    async putPart(upload, partNumber, bytes, sha256) {
      const response = await call(`${base}/v1/storage/uploads/${upload.fileId}/parts/${partNumber}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), 'x-checksum-sha256': sha256 },
        body: bytes,
      });
      if (response.ok) return;
      // Gone (expired, removed) or refused as a whole: writing on cannot succeed.
      if (response.status === 409 || response.status === 404 || response.status === 413) {
        throw new JobFailure('result_upload_lost', `storage refused part ${partNumber} of the result: ${await failureText(response)}`);
      }
      throw new Error(`storage answered ${await failureText(response)} to part ${partNumber} of the result`);
    },
  };
}

/** `POST /uploads/{id}/complete` with every part's digest: storage checks each part and makes the file available. */
export async function completeResultUpload(call: CallStorage, base: string, progress: PartsProgress): Promise<StoredFile> {
  const response = await call(`${base}/v1/storage/uploads/${progress.upload.fileId}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parts: progress.parts }),
  });
  if (response.ok) return StoredFile.parse(await response.json());
  if (response.status === 422 || response.status === 409 || response.status === 404) {
    throw new JobFailure('result_upload_lost', `storage did not accept the result's parts: ${await failureText(response)}`);
  }
  throw new Error(`storage answered ${await failureText(response)} to completing the result`);
}


// Encore's outputs brought into storage as the job owner's files. Encore writes them to its output
// volume; a small file server serves that volume read-only (`transcoder_output_url`, the compose
// profile's `encore-output`), and the worker streams each file from it into storage with one
// `POST /v1/storage/files` as the owner (storage checks the owner's quota), so an output is never
// held whole in the worker. All or nothing: every size is checked before the first upload, and
// whatever one run uploaded is deleted again when a later step of that run fails — or, after a
// crash, by the next run (the ids are kept in the job's progress).
import { StoredFile } from '@authorworks/domain';
import { contentUrl, type Fetcher } from './storage-reader.ts';
import type { EncoreOutput } from './transcoder.ts';
import { VideoError } from './video-error.ts';

/** At most this many outputs per job (the profiles make one or two). */
export const MAX_OUTPUTS = 10;
/** Pieces of an outgoing body: the engine writes at most 1 MiB per host call (engine notes). */
const PIECE_BYTES = 512 * 1024;
/** An output's file name as Encore writes it: `<baseName><suffix>.<ext>`, one path segment. */
const OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export type OutputKind = 'video' | 'audio' | 'image';

export interface PlannedOutput {
  /** The file name in Encore's folder, also the stored file's name. */
  name: string;
  kind: OutputKind;
  /** Where the file server serves it. */
  url: string;
  /** Encore's word for its size (checked again against the file server's Content-Length). */
  size: number | null;
  width: number | null;
  height: number | null;
  durationSeconds: number | null;
}

export interface ImportedFile {
  fileId: string;
  filename: string;
  contentType: string;
  size: number;
  kind: OutputKind;
  width: number | null;
  height: number | null;
  durationSeconds: number | null;
}

const KIND_OF: Record<string, OutputKind> = { VideoFile: 'video', AudioFile: 'audio', ImageFile: 'image' };

/**
 * Where each output Encore lists is on the file server: it must lie directly in the job's folder
 * (`<outputFolder root>/<jobId>/<name>`), else the transcoder is not to be trusted with the job.
 * Checks every size against `maxBytes` before anything is fetched.
 */
export function planOutputs(outputs: readonly EncoreOutput[], place: { folderRoot: string; jobId: string; outputUrl: string; maxBytes: number }): PlannedOutput[] {
  if (outputs.length > MAX_OUTPUTS) throw new VideoError('transcoder_failed', `The transcoder reported ${outputs.length} outputs; at most ${MAX_OUTPUTS} are taken`);
  const folder = `${place.folderRoot}/${place.jobId}/`;
  return outputs.map((output) => {
    const name = output.file.startsWith(folder) ? output.file.slice(folder.length) : '';
    if (!OUTPUT_NAME.test(name)) throw new VideoError('transcoder_failed', `The transcoder reported an output outside the job's folder ${folder}: ${output.file.slice(0, 300)}`);
    if (output.fileSize !== undefined && output.fileSize > place.maxBytes) {
      throw new VideoError('transcoder_output_too_large', `Output ${name} has ${output.fileSize} bytes; at most ${place.maxBytes} are brought into storage (video_transcoder_max_output_bytes)`);
    }
    return {
      name,
      kind: KIND_OF[output.type] ?? 'video',
      url: `${place.outputUrl}/${encodeURIComponent(place.jobId)}/${encodeURIComponent(name)}`,
      size: output.fileSize ?? null,
      width: output.width ?? null,
      height: output.height ?? null,
      durationSeconds: output.duration ?? null,
    };
  });
}

/**
 * The body of `response` as a stream of pieces of at most 512 KiB, erroring when it runs past or
 * stops short of `length` bytes (storage then never stores a short or long file).
 */
function exactly(response: Response, length: number, name: string): { stream: ReadableStream<Uint8Array>; failure: () => VideoError | null } {
  const reader = response.body!.getReader();
  let seen = 0;
  let pending: Uint8Array | null = null;
  let failure: VideoError | null = null;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: VideoError) => {
    failure = error;
    controller.error(error);
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending === null) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (error) {
          fail(controller, new VideoError('transcoder_output_unavailable', `Output ${name} broke off after ${seen} bytes: ${error instanceof Error ? error.message : String(error)}`));
          return;
        }
        if (read.done) {
          if (seen !== length) fail(controller, new VideoError('transcoder_output_unavailable', `Output ${name} ended after ${seen} of ${length} bytes`));
          else controller.close();
          return;
        }
        seen += read.value.byteLength;
        if (seen > length) {
          await reader.cancel();
          fail(controller, new VideoError('transcoder_output_unavailable', `Output ${name} is longer than the ${length} bytes announced`));
          return;
        }
        pending = read.value;
      }
      const piece = pending.subarray(0, PIECE_BYTES);
      pending = pending.byteLength > PIECE_BYTES ? pending.subarray(PIECE_BYTES) : null;
      // A copy: the reader may reuse its buffer.
      controller.enqueue(piece.slice());
    },
    async cancel() {
      await reader.cancel();
    },
  });
  return { stream, failure: () => failure };
}

async function errorCodeOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => '');
  try {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    return { code: error?.code ?? '', message: (error?.message ?? '').slice(0, 300) };
  } catch {
    return { code: '', message: text.slice(0, 300) };
  }
}

export interface StorageAsOwner {
  fetchAsOwner: Fetcher;
  storageUrl: string;
}

/** Streams one output from the file server into storage as a new file of the owner. */
export async function importOutput(output: PlannedOutput, fetchOutside: Fetcher, storage: StorageAsOwner, maxBytes: number): Promise<ImportedFile> {
  let response: Response;
  try {
    response = await fetchOutside(output.url);
  } catch (error) {
    throw new VideoError('transcoder_output_unavailable', `The transcoder's file server could not be reached for ${output.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new VideoError('transcoder_output_missing', `Output ${output.name} is listed by the transcoder but not on its file server (${response.status})`);
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new VideoError('transcoder_output_unavailable', `The transcoder's file server answered ${response.status} for ${output.name}`);
  }
  const announced = response.headers.get('content-length');
  const length = announced !== null && /^\d+$/.test(announced) ? Number(announced) : output.size;
  if (length === null) {
    await response.body.cancel();
    throw new VideoError('transcoder_output_unavailable', `The transcoder's file server sent ${output.name} without its length`);
  }
  if (length > maxBytes) {
    await response.body.cancel();
    throw new VideoError('transcoder_output_too_large', `Output ${output.name} has ${length} bytes; at most ${maxBytes} are brought into storage (video_transcoder_max_output_bytes)`);
  }
  const uploadUrl = `${storage.storageUrl.replace(/\/+$/, '')}/v1/storage/files?filename=${encodeURIComponent(output.name)}`;
  const body = exactly(response, length, output.name);
  let stored: Response;
  try {
    stored = await storage.fetchAsOwner(uploadUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    throw body.failure() ?? new VideoError('storage_error', `Storing output ${output.name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (stored.status === 413) {
    const { code, message } = await errorCodeOf(stored);
    if (code === 'quota_exceeded') throw new VideoError('quota_exceeded', `Storage refused output ${output.name} (${length} bytes): ${message}`);
    throw new VideoError('transcoder_output_too_large', `Storage refused output ${output.name} (${length} bytes): ${message}`);
  }
  if (stored.status !== 201) {
    const { code, message } = await errorCodeOf(stored);
    throw new VideoError('storage_error', `Storage answered ${stored.status}${code ? ` ${code}` : ''} when output ${output.name} was stored: ${message}`);
  }
  const file = StoredFile.parse(await stored.json());
  return {
    fileId: file.id,
    filename: file.filename,
    contentType: file.contentType,
    size: file.size,
    kind: output.kind,
    width: output.width,
    height: output.height,
    durationSeconds: output.durationSeconds,
  };
}

/** Deletes files a failed import left (already gone is fine); the ids it could not delete. */
export async function deleteFiles(storage: StorageAsOwner, fileIds: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const fileId of fileIds) {
    try {
      const response = await storage.fetchAsOwner(contentUrl(storage.storageUrl, fileId).replace(/\/content$/, ''), { method: 'DELETE' });
      await response.body?.cancel();
      if (!response.ok && response.status !== 404) left.push(fileId);
    } catch {
      left.push(fileId);
    }
  }
  return left;
}

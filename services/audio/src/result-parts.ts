// A result too large for one request to storage goes up as a multipart upload, part by part, a few
// parts per job step. The engine keeps every byte a request touched in the instance's memory until
// the request ends (Decision 6), so a step writes at most `stepBytes` and then the job continues in
// a new message, on a fresh instance — memory stays bounded for a multi-hour book. What a step must
// hand to the next (the upload and the digests of the parts done) is the job's stored progress.
import { z } from 'zod';
import type { WavOutput } from './wav-output.ts';

/** The multipart upload a result goes to, as storage described it when it was created. */
export const ResultUpload = z.object({
  /** The storage file the upload completes (its id names the upload in storage's routes). */
  fileId: z.string().uuid(),
  size: z.number().int().positive(),
  partSize: z.number().int().positive(),
  partCount: z.number().int().min(1).max(10_000),
});
export type ResultUpload = z.output<typeof ResultUpload>;

export const DonePart = z.object({ partNumber: z.number().int().min(1).max(10_000), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type DonePart = z.output<typeof DonePart>;

/** What one step leaves for the next. */
export const PartsProgress = z.object({ upload: ResultUpload, parts: z.array(DonePart).max(10_000) });
export type PartsProgress = z.output<typeof PartsProgress>;

export interface PartTarget {
  /** Sends part `partNumber` (its bytes are valid only during the call); resolves once storage has it. */
  putPart(upload: ResultUpload, partNumber: number, bytes: Uint8Array<ArrayBuffer>, sha256: string): Promise<void>;
}

const hex = (digest: ArrayBuffer) => Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');

/** Bytes [start, end) of part `partNumber` (1-based). */
export function partRange(upload: ResultUpload, partNumber: number): { start: number; end: number } {
  const start = (partNumber - 1) * upload.partSize;
  return { start, end: Math.min(start + upload.partSize, upload.size) };
}

/**
 * Writes the next parts of `output` after those in `progress`, until the upload is complete or
 * this step has written `stepBytes` (at least one part). Returns the new progress; `done` when every
 * part is up. Parts are hashed natively (`crypto.subtle`), one buffer of `partSize` reused.
 */
export async function writeNextParts(
  output: WavOutput,
  progress: PartsProgress,
  target: PartTarget,
  options: { stepBytes: number; onProgress?: (fraction: number) => Promise<void> },
): Promise<{ progress: PartsProgress; done: boolean; wroteBytes: number }> {
  const { upload } = progress;
  if (output.size !== upload.size) throw new Error(`the output is ${output.size} bytes; the upload was made for ${upload.size}`);
  const parts = [...progress.parts];
  let buffer: Uint8Array<ArrayBuffer> | undefined;
  let wroteBytes = 0;
  while (parts.length < upload.partCount && (wroteBytes === 0 || wroteBytes + upload.partSize <= options.stepBytes)) {
    const partNumber = parts.length + 1;
    const { start, end } = partRange(upload, partNumber);
    buffer ??= new Uint8Array(new ArrayBuffer(upload.partSize));
    let at = 0;
    await output.writeRange(start, end, (chunk) => {
      buffer!.set(chunk, at);
      at += chunk.length;
    });
    if (at !== end - start) throw new Error(`part ${partNumber}: the output wrote ${at} bytes for ${end - start}`);
    const bytes = buffer.subarray(0, at);
    const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
    await target.putPart(upload, partNumber, bytes, sha256);
    parts.push({ partNumber, sha256 });
    wroteBytes += at;
    await options.onProgress?.(parts.length / upload.partCount);
  }
  return { progress: { upload, parts }, done: parts.length === upload.partCount, wroteBytes };
}

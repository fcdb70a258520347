// The video jobs: what each kind's payload is (checked by the API before enqueueing and by the
// worker before running) and what running it does. Runs anywhere: the worker gives it a fetcher
// that carries the job owner's token (`ctx.callServiceAs`), unit tests give it their own.
import type { Config } from '@authorworks/kit';
import { z } from 'zod';
import { probeVideo, type VideoProbe } from './probe.ts';
import type { ReadBudget } from './range-reader.ts';
import { openStorageFile, type Fetcher } from './storage-reader.ts';
import { runTranscode, type TranscodeResult } from './transcode.ts';
import { reportOfProbeFailure, validateProbe, videoLimits, type ValidationReport } from './validation.ts';

export const VIDEO_QUEUE = 'video-jobs';
export const JOB_KINDS = ['probe', 'validate', 'poster', 'trailer'] as const;

/**
 * Every video job: a few attempts for what a retry can fix (storage or the transcoder briefly
 * down); a failure of the file's own (VideoError.permanent) ends the job at its first attempt.
 */
export const VIDEO_JOB_DEFAULTS = { maxAttempts: 3, leaseSeconds: 120, backoffSeconds: 5 } as const;

const FileId = z.uuid();
/** At most a day into a video (the duration limit is validated separately). */
const Seconds = z.number().min(0).max(86_400);

export const ProbePayload = z.object({ fileId: FileId }).strict();
export const ValidatePayload = z.object({ fileId: FileId, version: z.number().int().min(1).optional() }).strict();
export const PosterPayload = z.object({ fileId: FileId, atSeconds: Seconds.optional() }).strict();
export const TrailerPayload = z
  .object({ fileId: FileId, startSeconds: Seconds.default(0), durationSeconds: z.number().min(1).max(300) })
  .strict();

/** `POST /jobs` body: the kind and its payload. */
export const CreateVideoJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('probe'), payload: ProbePayload }).strict(),
  z.object({ kind: z.literal('validate'), payload: ValidatePayload }).strict(),
  z.object({ kind: z.literal('poster'), payload: PosterPayload }).strict(),
  z.object({ kind: z.literal('trailer'), payload: TrailerPayload }).strict(),
]);
export type CreateVideoJob = z.output<typeof CreateVideoJob>;

/** What a job's run needs from the worker. */
export interface VideoJobEnv {
  /** A fetch carrying the job owner's token. */
  fetchAsOwner: Fetcher;
  /** Plain fetch for the transcoder and its file server (no platform token leaves the platform). */
  fetchOutside: Fetcher;
  config: Pick<Config, 'optional' | 'authSecret'>;
  jobId: string;
  /** The job's stored progress: a transcode's state between its runs (transcode.ts). */
  progress: unknown;
  /** Stores progress and extends the lease; false when the job was cancelled or taken over. */
  heartbeat(progress: unknown): Promise<boolean>;
}

const storageUrlOf = (config: Pick<Config, 'optional'>) => config.optional('storage_url', 'http://storage-api.spin.internal');

function readBudget(config: Pick<Config, 'optional'>): ReadBudget {
  const bytes = Number(config.optional('probe_max_read_bytes', String(16 * 1024 * 1024)));
  return { maxBytes: Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 16 * 1024 * 1024 };
}

async function probeFile(fileId: string, env: VideoJobEnv, version?: number): Promise<VideoProbe> {
  const reader = await openStorageFile(env.fetchAsOwner, storageUrlOf(env.config), fileId, version === undefined ? {} : { version });
  return probeVideo(reader, readBudget(env.config));
}

export async function runProbe(payload: z.output<typeof ProbePayload>, env: VideoJobEnv): Promise<VideoProbe & { fileId: string }> {
  return { fileId: payload.fileId, ...(await probeFile(payload.fileId, env)) };
}

/** Validates the file's current version, or `version` (an upload's own, for the automatic validation). */
export async function runValidate(payload: z.output<typeof ValidatePayload>, env: VideoJobEnv): Promise<ValidationReport & { fileId: string; version?: number }> {
  const limits = videoLimits(env.config);
  let report: ValidationReport;
  try {
    report = validateProbe(await probeFile(payload.fileId, env, payload.version), limits);
  } catch (error) {
    report = reportOfProbeFailure(error, limits);
  }
  return { fileId: payload.fileId, ...(payload.version === undefined ? {} : { version: payload.version }), ...report };
}

/** A poster frame by the transcoder, stored as the owner's image (transcode.ts: submit, wait, import). */
export async function runPoster(payload: z.output<typeof PosterPayload>, env: VideoJobEnv): Promise<TranscodeResult> {
  return runTranscode({ kind: 'poster', fileId: payload.fileId, thumbnailSeconds: payload.atSeconds }, env, storageUrlOf(env.config));
}

/** An excerpt by the transcoder, stored as the owner's video (and its poster frame). */
export async function runTrailer(payload: z.output<typeof TrailerPayload>, env: VideoJobEnv): Promise<TranscodeResult> {
  return runTranscode({ kind: 'trailer', fileId: payload.fileId, seekSeconds: payload.startSeconds, durationSeconds: payload.durationSeconds }, env, storageUrlOf(env.config));
}

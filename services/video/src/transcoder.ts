// Posters and trailers are made by an external transcoder: SVT Encore (https://github.com/svt/encore,
// EUPL-1.2, self-hosted: docker-compose profile `transcoder`), FFmpeg behind a REST API with
// reusable profiles. This file is its settings and its REST client; transcode.ts is the job that
// submits, waits and brings the outputs into storage (transcoder-outputs.ts). Encore reads the
// input from a short-lived presigned URL that storage gives the job's owner and writes its outputs
// under `transcoder_output_folder`, a volume a small file server (`transcoder_output_url`) serves
// back to the worker. No transcoder configured → `transcoder_not_configured`, never a silent no-op.
//
// Encore's API as used here (encore-web/.../controller/EncoreController.kt, encore-common/.../model/
// EncoreJob.kt, Status.kt; docs/api-guide.md):
//   POST /encoreJobs { externalId, profile, outputFolder, baseName, inputs: [{ uri, type: "AudioVideo" }],
//                      seekTo?, duration?, thumbnailTime?, progressCallbackUri? } → 201 the job, status QUEUED
//   GET /encoreJobs/{id} → the job: `status` NEW | QUEUED | IN_PROGRESS | SUCCESSFUL | FAILED | CANCELLED,
//                          `progress` (0–100), `message` (why it failed), `output` (the analysed output
//                          files: { type: VideoFile | AudioFile | ImageFile, file: <absolute path>, fileSize, … })
//   GET /encoreJobs/search/findByExternalId?externalId= → HAL page { _embedded: { encoreJobs: [...] } }
// `externalId` is not unique in Encore: the worker looks its job up by it before submitting, so a
// worker that died between submitting and recording the id does not start a second transcode.
import { toHex, type Config } from '@authorworks/kit';
import { z } from 'zod';
import type { Fetcher } from './storage-reader.ts';
import { VideoError } from './video-error.ts';

export interface TranscoderSettings {
  /** Encore's base URL, or null when none is configured. */
  url: string | null;
  /** The file server over Encore's output folder (`outputFolder` is its root), or null. */
  outputUrl: string | null;
  posterProfile: string;
  trailerProfile: string;
  /** Where Encore writes, as Encore sees it: a folder per job under it. */
  outputFolder: string;
  /** The largest output brought into storage (storage's direct upload limit by default). */
  maxOutputBytes: number;
  /** How often the worker asks Encore while it transcodes (a check comes with the next nudge after it is due). */
  checkSeconds: number;
  /** How long a transcode may take from its hand-off before the job fails with `transcoder_timeout`. */
  timeoutSeconds: number;
  /** The video API's callback base Encore can reach (progressCallbackUri), or null: then only checks. */
  callbackUrl: string | null;
}

const ORIGIN = /^https?:\/\/[^\s/?#]+$/;

function origin(config: Pick<Config, 'optional'>, name: string, example: string): string | null {
  const value = config.optional(name, '').trim().replace(/\/+$/, '');
  if (value !== '' && !ORIGIN.test(value)) throw new Error(`${name} must be an http(s) origin such as ${example}`);
  return value === '' ? null : value;
}

function wholeNumber(config: Pick<Config, 'optional'>, name: string, fallback: number, max: number): number {
  const value = Number(config.optional(name, String(fallback)));
  return Number.isSafeInteger(value) && value >= 1 ? Math.min(value, max) : fallback;
}

export function transcoderSettings(config: Pick<Config, 'optional'>): TranscoderSettings {
  const callback = config.optional('transcoder_callback_url', '').trim().replace(/\/+$/, '');
  if (callback !== '' && !/^https?:\/\/[^\s?#]+$/.test(callback)) throw new Error('transcoder_callback_url must be an http(s) URL such as http://spin:3000/v1/video');
  return {
    url: origin(config, 'transcoder_url', 'http://encore:8080'),
    outputUrl: origin(config, 'transcoder_output_url', 'http://encore-output:8080'),
    posterProfile: config.optional('transcoder_poster_profile', 'poster'),
    trailerProfile: config.optional('transcoder_trailer_profile', 'trailer'),
    outputFolder: config.optional('transcoder_output_folder', '/shared/authorworks-video').replace(/\/+$/, ''),
    maxOutputBytes: wholeNumber(config, 'transcoder_max_output_bytes', 26_214_400, 1024 ** 3),
    checkSeconds: wholeNumber(config, 'transcoder_check_seconds', 5, 3600),
    timeoutSeconds: wholeNumber(config, 'transcoder_timeout_seconds', 3600, 7 * 24 * 3600),
    callbackUrl: callback === '' ? null : callback,
  };
}

/**
 * The token in a job's callback URL (transcoder-callbacks.ts checks it): hex HMAC-SHA256 of the
 * job id under the platform's secret, so only whoever was given the URL can wake the job.
 */
export async function callbackToken(secret: string, jobId: string): Promise<string> {
  const text = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', text.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, text.encode(`video-transcoder-callback:${jobId}`))));
}

/** One output file as Encore reports it (media-analyzer's MediaFile; only what the worker uses). */
export const EncoreOutput = z.object({
  type: z.string().max(50),
  file: z.string().min(1).max(2000),
  fileSize: z.number().int().min(0).optional(),
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
  duration: z.number().min(0).optional(),
});
export type EncoreOutput = z.output<typeof EncoreOutput>;

export const EncoreJob = z.object({
  id: z.string().min(1).max(200),
  externalId: z.string().max(200).nullish(),
  status: z.string().max(50),
  progress: z.number().nullish(),
  message: z.string().nullish(),
  output: z.array(EncoreOutput).max(100).nullish(),
});
export type EncoreJob = z.output<typeof EncoreJob>;

const EncoreJobPage = z.object({ _embedded: z.object({ encoreJobs: z.array(EncoreJob).max(100).default([]) }).optional() });

/** What `POST /encoreJobs` is sent. */
export interface EncoreSubmission {
  externalId: string;
  profile: string;
  outputFolder: string;
  baseName: string;
  inputs: { uri: string; type: 'AudioVideo' }[];
  seekTo?: number;
  duration?: number;
  thumbnailTime?: number;
  progressCallbackUri?: string;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function askEncore(fetchOutside: Fetcher, url: string, init: RequestInit, what: string): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetchOutside(url, { ...init, headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  } catch (error) {
    throw new VideoError('transcoder_unavailable', `The transcoder could not be reached (${what}): ${reason(error)}`);
  }
  return { status: response.status, text: await response.text() };
}

function parsed<Schema extends z.ZodType>(schema: Schema, text: string, what: string): z.output<Schema> {
  try {
    return schema.parse(JSON.parse(text));
  } catch {
    throw new VideoError('transcoder_unavailable', `The transcoder answered something that is not ${what}`);
  }
}

/** The newest Encore job submitted for `externalId`, or null. Throws `transcoder_unavailable`. */
export async function findEncoreJob(url: string, fetchOutside: Fetcher, externalId: string): Promise<EncoreJob | null> {
  const answer = await askEncore(fetchOutside, `${url}/encoreJobs/search/findByExternalId?externalId=${encodeURIComponent(externalId)}`, {}, 'looking up the job');
  if (answer.status !== 200) throw new VideoError('transcoder_unavailable', `The transcoder answered ${answer.status} when asked for job ${externalId}`);
  return parsed(EncoreJobPage, answer.text, 'a page of Encore jobs')._embedded?.encoreJobs[0] ?? null;
}

/** Submits a job; 4xx → `transcoder_rejected` (permanent), unreachable / 5xx → `transcoder_unavailable`. */
export async function submitEncoreJob(url: string, fetchOutside: Fetcher, submission: EncoreSubmission, kind: string): Promise<EncoreJob> {
  const answer = await askEncore(fetchOutside, `${url}/encoreJobs`, { method: 'POST', body: JSON.stringify(submission) }, `submitting the ${kind}`);
  if (answer.status >= 400 && answer.status < 500) throw new VideoError('transcoder_rejected', `The transcoder refused the ${kind} (${answer.status}): ${answer.text.slice(0, 300)}`);
  if (answer.status < 200 || answer.status >= 300) throw new VideoError('transcoder_unavailable', `The transcoder answered ${answer.status}`);
  return parsed(EncoreJob, answer.text, 'an Encore job');
}

export type EncoreCheck = { found: true; job: EncoreJob } | { found: false } | { unreachable: string };

/** The job's status: `found: false` when Encore answers 404; `unreachable` for anything that may pass (down, 5xx, garbage). */
export async function checkEncoreJob(statusUrl: string, fetchOutside: Fetcher): Promise<EncoreCheck> {
  let answer: { status: number; text: string };
  try {
    answer = await askEncore(fetchOutside, statusUrl, {}, 'checking the job');
  } catch (error) {
    return { unreachable: reason(error) };
  }
  if (answer.status === 404) return { found: false };
  if (answer.status !== 200) return { unreachable: `the transcoder answered ${answer.status}` };
  try {
    return { found: true, job: parsed(EncoreJob, answer.text, 'an Encore job') };
  } catch (error) {
    return { unreachable: reason(error) };
  }
}

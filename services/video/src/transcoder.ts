// Posters and trailers are made by an external transcoder: SVT Encore (https://github.com/svt/encore,
// EUPL-1.2, self-hosted: docker-compose profile `transcoder`), FFmpeg behind a REST API with
// reusable profiles. The worker hands the job over and records Encore's job id; Encore reads the
// input from a short-lived presigned URL that storage gives the job's owner, and writes its
// outputs under `transcoder_output_folder`. No transcoder configured → the job fails with
// `transcoder_not_configured`, never a silent no-op.
//
// Encore's API as used here (encore-common/.../model/EncoreJob.kt and input/Input.kt):
//   POST /encoreJobs { externalId, profile, outputFolder, baseName, inputs: [{ uri, type: "AudioVideo" }],
//                      seekTo?, duration?, thumbnailTime? }  → 201 { id, status: "NEW" | "QUEUED" | …, … }
//   GET /encoreJobs/{id} → the job with `status` (… SUCCESSFUL | FAILED | CANCELLED), `progress`, `output`.
import type { Config } from '@authorworks/kit';
import { z } from 'zod';
import { contentUrl, type Fetcher } from './storage-reader.ts';
import { VideoError } from './video-error.ts';

export interface TranscoderSettings {
  /** Encore's base URL, or null when none is configured. */
  url: string | null;
  posterProfile: string;
  trailerProfile: string;
  outputFolder: string;
}

export function transcoderSettings(config: Pick<Config, 'optional'>): TranscoderSettings {
  const url = config.optional('transcoder_url', '').trim().replace(/\/+$/, '');
  if (url !== '' && !/^https?:\/\/[^\s/]+$/.test(url)) throw new Error('transcoder_url must be an http(s) origin such as http://encore:8080');
  return {
    url: url === '' ? null : url,
    posterProfile: config.optional('transcoder_poster_profile', 'poster'),
    trailerProfile: config.optional('transcoder_trailer_profile', 'trailer'),
    outputFolder: config.optional('transcoder_output_folder', '/shared/authorworks-video').replace(/\/+$/, ''),
  };
}

export type TranscodeRequest =
  | { kind: 'poster'; fileId: string; thumbnailSeconds?: number }
  | { kind: 'trailer'; fileId: string; seekSeconds: number; durationSeconds: number };

export const TranscoderHandOff = z.object({
  transcoder: z.literal('encore'),
  transcoderJobId: z.string(),
  status: z.string(),
  profile: z.string(),
  outputFolder: z.string(),
  baseName: z.string(),
  statusUrl: z.string(),
});
export type TranscoderHandOff = z.output<typeof TranscoderHandOff>;

const EncoreAnswer = z.object({ id: z.string().min(1).max(200), status: z.string().max(50) });

/** A presigned GET of the file's current version, asked of storage as the job's owner. */
async function presignedInput(fetchAsOwner: Fetcher, storageUrl: string, fileId: string): Promise<string> {
  const response = await fetchAsOwner(`${contentUrl(storageUrl, fileId)}?redirect=1`, { redirect: 'manual' });
  await response.body?.cancel();
  if (response.status === 404 || response.status === 409) throw new VideoError('file_not_found', `File ${fileId} does not exist, has no finished upload, or its owner may not read it`);
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new VideoError('storage_error', `Storage answered ${response.status} when asked for a download link to file ${fileId}`);
  return location;
}

export async function submitToTranscoder(
  request: TranscodeRequest,
  settings: TranscoderSettings,
  env: { fetchAsOwner: Fetcher; fetchOutside: Fetcher; jobId: string },
  storageUrl: string,
): Promise<TranscoderHandOff> {
  if (settings.url === null) {
    throw new VideoError('transcoder_not_configured', `No transcoder is configured: a ${request.kind} needs one (set SPIN_VARIABLE_VIDEO_TRANSCODER_URL to an SVT Encore server)`);
  }
  const input = await presignedInput(env.fetchAsOwner, storageUrl, request.fileId);
  const profile = request.kind === 'poster' ? settings.posterProfile : settings.trailerProfile;
  const outputFolder = `${settings.outputFolder}/${env.jobId}`;
  const body: Record<string, unknown> = {
    externalId: env.jobId,
    profile,
    outputFolder,
    baseName: request.kind,
    inputs: [{ uri: input, type: 'AudioVideo' }],
  };
  if (request.kind === 'poster' && request.thumbnailSeconds !== undefined && request.thumbnailSeconds > 0) body.thumbnailTime = request.thumbnailSeconds;
  if (request.kind === 'trailer') {
    if (request.seekSeconds > 0) body.seekTo = request.seekSeconds;
    body.duration = request.durationSeconds;
  }
  let response: Response;
  try {
    response = await env.fetchOutside(`${settings.url}/encoreJobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new VideoError('transcoder_unavailable', `The transcoder could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  if (response.status >= 400 && response.status < 500) throw new VideoError('transcoder_rejected', `The transcoder refused the ${request.kind} (${response.status}): ${text.slice(0, 300)}`);
  if (!response.ok) throw new VideoError('transcoder_unavailable', `The transcoder answered ${response.status}`);
  let answer: z.output<typeof EncoreAnswer>;
  try {
    answer = EncoreAnswer.parse(JSON.parse(text));
  } catch {
    throw new VideoError('transcoder_unavailable', 'The transcoder answered something that is not an Encore job');
  }
  return {
    transcoder: 'encore',
    transcoderJobId: answer.id,
    status: answer.status,
    profile,
    outputFolder,
    baseName: request.kind,
    statusUrl: `${settings.url}/encoreJobs/${encodeURIComponent(answer.id)}`,
  };
}

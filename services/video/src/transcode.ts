// A poster or trailer job: hand the file to Encore, wait, bring the outputs into storage. The
// worker is a Wasm component with no timers whose messages must end soon, so the job is a small
// state machine over the kit's durable jobs, its state in the job's `progress`:
//   1. no progress yet → find Encore's job for this job id (a run that died after submitting) or
//      submit one; then `JobPending`: back to the queue, checked again in `transcoder_check_seconds`
//      without using an attempt;
//   2. each check asks Encore: QUEUED / IN_PROGRESS (or Encore unreachable) → pending again, until
//      `transcoder_timeout_seconds` from the hand-off → `transcoder_timeout`; FAILED → `transcoder_failed`;
//      CANCELLED → `transcoder_cancelled`; SUCCESSFUL → 3;
//   3. every output is streamed from the output file server into storage as the owner's file
//      (transcoder-outputs.ts), all or nothing, and the job completes with their file ids.
import { JobPending } from '@authorworks/kit';
import { StoredFile } from '@authorworks/domain';
import { z } from 'zod';
import { contentUrl } from './storage-reader.ts';
import { callbackToken, checkEncoreJob, findEncoreJob, submitEncoreJob, transcoderSettings, type EncoreJob, type EncoreSubmission, type TranscoderSettings } from './transcoder.ts';
import { deleteFiles, importOutput, planOutputs, type ImportedFile, type StorageAsOwner } from './transcoder-outputs.ts';
import { VideoError } from './video-error.ts';
import type { VideoJobEnv } from './video-jobs.ts';

export type TranscodeRequest =
  | { kind: 'poster'; fileId: string; thumbnailSeconds?: number | undefined }
  | { kind: 'trailer'; fileId: string; seekSeconds: number; durationSeconds: number };

/** What a transcode job keeps between its runs (the job's `progress`, which its owner also sees). */
export const TranscodeProgress = z.object({
  stage: z.enum(['transcoding', 'importing']),
  transcoder: z.literal('encore'),
  transcoderJobId: z.string(),
  statusUrl: z.string(),
  profile: z.string(),
  outputFolder: z.string(),
  baseName: z.string(),
  /** Encore's last status, and its progress in percent. */
  status: z.string(),
  percent: z.number().optional(),
  /** Why the last check got no answer (Encore down, a 5xx), if it did not. */
  problem: z.string().optional(),
  /** Files an import has stored so far: removed again if it does not finish. */
  uploaded: z.array(z.string()).optional(),
});
export type TranscodeProgress = z.output<typeof TranscodeProgress>;

export interface TranscodeResult {
  transcoder: 'encore';
  transcoderJobId: string;
  statusUrl: string;
  profile: string;
  /** The outputs, each a new file of the job's owner. */
  files: ImportedFile[];
  outputFileIds: string[];
  /** The poster frame (a poster job's, or a trailer's optional one). */
  posterFileId: string | null;
  /** A trailer job's video. */
  trailerFileId?: string;
}

/** `<stem>` of the input's name as Encore's baseName: letters, digits, `_` and `-` only (Encore puts it in a regex). */
export function baseNameOf(filename: string): string {
  const stem = filename.replace(/\.[^./\\]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '').slice(0, 60);
  return stem === '' ? 'video' : stem;
}

/** The input's record as its owner sees it; `file_not_found` if it is gone or not readable. */
async function inputRecord(env: VideoJobEnv, storageUrl: string, fileId: string): Promise<StoredFile> {
  const response = await env.fetchAsOwner(contentUrl(storageUrl, fileId).replace(/\/content$/, ''));
  if (response.status === 404) {
    await response.body?.cancel();
    throw new VideoError('file_not_found', `File ${fileId} does not exist or its owner may not read it`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new VideoError('storage_error', `Storage answered ${response.status} for the record of file ${fileId}`);
  }
  const file = StoredFile.parse(await response.json());
  if (file.status !== 'available') throw new VideoError('file_not_found', `File ${fileId} has no finished upload`);
  return file;
}

/** A presigned GET of the file's current version, asked of storage as the job's owner. */
async function presignedInput(env: VideoJobEnv, storageUrl: string, fileId: string): Promise<string> {
  const response = await env.fetchAsOwner(`${contentUrl(storageUrl, fileId)}?redirect=1`, { redirect: 'manual' });
  await response.body?.cancel();
  if (response.status === 404 || response.status === 409) throw new VideoError('file_not_found', `File ${fileId} does not exist, has no finished upload, or its owner may not read it`);
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new VideoError('storage_error', `Storage answered ${response.status} when asked for a download link to file ${fileId}`);
  return location;
}

function progressOf(encore: EncoreJob, settings: TranscoderSettings & { url: string }, submission: Pick<EncoreSubmission, 'profile' | 'outputFolder' | 'baseName'>): TranscodeProgress {
  return {
    stage: 'transcoding',
    transcoder: 'encore',
    transcoderJobId: encore.id,
    statusUrl: `${settings.url}/encoreJobs/${encodeURIComponent(encore.id)}`,
    profile: submission.profile,
    outputFolder: submission.outputFolder,
    baseName: submission.baseName,
    status: encore.status,
    ...(typeof encore.progress === 'number' ? { percent: encore.progress } : {}),
  };
}

/** Step 1: Encore's job for this job — the one a previous run submitted, or a new one. */
async function handOff(request: TranscodeRequest, settings: TranscoderSettings & { url: string }, env: VideoJobEnv, storageUrl: string): Promise<TranscodeProgress> {
  const input = await inputRecord(env, storageUrl, request.fileId);
  const submission: EncoreSubmission = {
    externalId: env.jobId,
    profile: request.kind === 'poster' ? settings.posterProfile : settings.trailerProfile,
    outputFolder: `${settings.outputFolder}/${env.jobId}`,
    baseName: baseNameOf(input.filename),
    inputs: [],
  };
  const earlier = await findEncoreJob(settings.url, env.fetchOutside, env.jobId);
  if (earlier) return progressOf(earlier, settings, submission);

  submission.inputs = [{ uri: await presignedInput(env, storageUrl, request.fileId), type: 'AudioVideo' }];
  if (request.kind === 'poster' && request.thumbnailSeconds !== undefined && request.thumbnailSeconds > 0) submission.thumbnailTime = request.thumbnailSeconds;
  if (request.kind === 'trailer') {
    if (request.seekSeconds > 0) submission.seekTo = request.seekSeconds;
    submission.duration = request.durationSeconds;
  }
  if (settings.callbackUrl !== null) {
    submission.progressCallbackUri = `${settings.callbackUrl}/transcoder-callbacks/${env.jobId}?token=${await callbackToken(env.config.authSecret, env.jobId)}`;
  }
  return progressOf(await submitEncoreJob(settings.url, env.fetchOutside, submission, request.kind), settings, submission);
}

function waitFor(progress: TranscodeProgress, settings: TranscoderSettings, kind: string): JobPending {
  const said = `${progress.status}${progress.percent !== undefined ? ` ${progress.percent}%` : ''}${progress.problem ? `, last check: ${progress.problem}` : ''}`;
  return new JobPending(`Encore job ${progress.transcoderJobId}: ${said}`, {
    checkAgainSeconds: settings.checkSeconds,
    deadlineSeconds: settings.timeoutSeconds,
    progress,
    deadlineError: new VideoError(
      'transcoder_timeout',
      `The transcoder did not finish the ${kind} within ${settings.timeoutSeconds} s (video_transcoder_timeout_seconds); Encore job ${progress.transcoderJobId} last said ${said}`,
    ),
  });
}

/** Step 3: every output into storage, all or nothing. */
async function importOutputs(
  request: TranscodeRequest,
  encore: EncoreJob,
  progress: TranscodeProgress,
  settings: TranscoderSettings & { outputUrl: string },
  env: VideoJobEnv,
  storage: StorageAsOwner,
): Promise<TranscodeResult> {
  // A run that died while importing left these (its progress says which): they go first.
  if (progress.uploaded?.length) await deleteFiles(storage, progress.uploaded);
  const planned = planOutputs(encore.output ?? [], { folderRoot: settings.outputFolder, jobId: env.jobId, outputUrl: settings.outputUrl, maxBytes: settings.maxOutputBytes });
  const needed = request.kind === 'poster' ? 'image' : 'video';
  if (!planned.some((output) => output.kind === needed)) {
    throw new VideoError('transcoder_output_missing', `Encore reports the ${request.kind} done but lists no ${needed} among its ${planned.length} output(s)`);
  }
  const imported: ImportedFile[] = [];
  try {
    for (const output of planned) {
      const file = await importOutput(output, env.fetchOutside, storage, settings.maxOutputBytes);
      imported.push(file);
      if (!file.contentType.startsWith(`${file.kind}/`)) {
        throw new VideoError('transcoder_failed', `Output ${file.filename} should be ${file.kind === 'image' ? 'an' : 'a'} ${file.kind} but its bytes are ${file.contentType}`);
      }
      if (!(await env.heartbeat({ ...progress, stage: 'importing', uploaded: imported.map((done) => done.fileId) }))) {
        throw new Error('the job was cancelled while its outputs were being stored');
      }
    }
  } catch (error) {
    const left = await deleteFiles(storage, imported.map((file) => file.fileId));
    if (left.length > 0 && error instanceof Error) error.message += ` (stored outputs ${left.join(', ')} could not be removed; the next run removes them)`;
    throw error;
  }
  const posterFileId = imported.find((file) => file.kind === 'image')?.fileId ?? null;
  return {
    transcoder: 'encore',
    transcoderJobId: progress.transcoderJobId,
    statusUrl: progress.statusUrl,
    profile: progress.profile,
    files: imported,
    outputFileIds: imported.map((file) => file.fileId),
    posterFileId,
    ...(request.kind === 'trailer' ? { trailerFileId: imported.find((file) => file.kind === 'video')!.fileId } : {}),
  };
}

export async function runTranscode(request: TranscodeRequest, env: VideoJobEnv, storageUrl: string): Promise<TranscodeResult> {
  const settings = transcoderSettings(env.config);
  const { url, outputUrl } = settings;
  if (url === null) {
    throw new VideoError('transcoder_not_configured', `No transcoder is configured: a ${request.kind} needs one (set SPIN_VARIABLE_VIDEO_TRANSCODER_URL to an SVT Encore server)`);
  }
  if (outputUrl === null) {
    throw new VideoError(
      'transcoder_not_configured',
      `The transcoder's outputs cannot be fetched: set SPIN_VARIABLE_VIDEO_TRANSCODER_OUTPUT_URL to the file server over its output folder (compose service encore-output)`,
    );
  }
  const stored = TranscodeProgress.safeParse(env.progress);
  if (!stored.success) throw waitFor(await handOff(request, { ...settings, url }, env, storageUrl), settings, request.kind);

  const before = stored.data;
  const check = await checkEncoreJob(before.statusUrl, env.fetchOutside);
  if ('unreachable' in check) throw waitFor({ ...before, problem: check.unreachable }, settings, request.kind);
  if (!check.found) throw new VideoError('transcoder_failed', `The transcoder no longer knows job ${before.transcoderJobId} (was its queue emptied?)`);
  const encore = check.job;
  const { problem: _problem, ...rest } = before;
  const progress: TranscodeProgress = { ...rest, status: encore.status, ...(typeof encore.progress === 'number' ? { percent: encore.progress } : {}) };
  switch (encore.status) {
    case 'SUCCESSFUL':
      return importOutputs(request, encore, progress, { ...settings, outputUrl }, env, { fetchAsOwner: env.fetchAsOwner, storageUrl });
    case 'FAILED':
      throw new VideoError('transcoder_failed', `Encore job ${encore.id} failed: ${(encore.message ?? 'no reason given').slice(0, 500)}`);
    case 'CANCELLED':
      throw new VideoError('transcoder_cancelled', `Encore job ${encore.id} was cancelled on the transcoder`);
    default:
      // NEW, QUEUED, IN_PROGRESS (and any status a newer Encore adds): not yet.
      throw waitFor(progress, settings, request.kind);
  }
}

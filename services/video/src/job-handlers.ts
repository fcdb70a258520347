// The worker's handler per job kind: each runs its job (video-jobs.ts) with the owner's fetch, and
// a failure of the file's own (VideoError.permanent: corrupt, unsupported, not found, no
// transcoder) ends the job now instead of retrying what cannot change.
import { execute, job, type JobContext, type JobHandler, type SqlClient } from '@authorworks/kit';
import type { z } from 'zod';
import { VideoError } from './video-error.ts';
import { PosterPayload, ProbePayload, runPoster, runProbe, runTrailer, runValidate, TrailerPayload, ValidatePayload, type VideoJobEnv } from './video-jobs.ts';

/**
 * Makes this attempt the job's last, so the kit's failJob settles it `failed` (with `job.failed`)
 * rather than queueing a retry. Only while this worker holds the running job.
 */
async function lastAttempt(db: SqlClient, jobId: string): Promise<void> {
  await execute(db, `UPDATE jobs SET max_attempts = attempts WHERE id = $1::text::uuid AND state = 'running'`, [jobId]);
}

function videoJob<Schema extends z.ZodType>(payload: Schema, run: (payload: z.output<Schema>, env: VideoJobEnv) => Promise<unknown>): JobHandler<Schema> {
  return job(payload, async (input, context: JobContext) => {
    const env: VideoJobEnv = {
      fetchAsOwner: (url, init) => context.callServiceAs(url, init),
      fetchOutside: (url, init) => fetch(url, init),
      config: context.config,
      jobId: context.job.id,
    };
    try {
      return await run(input, env);
    } catch (error) {
      if (error instanceof VideoError && error.permanent) await lastAttempt(context.db(), context.job.id);
      throw error;
    }
  });
}

export const videoJobHandlers = {
  probe: videoJob(ProbePayload, runProbe),
  validate: videoJob(ValidatePayload, runValidate),
  poster: videoJob(PosterPayload, runPoster),
  trailer: videoJob(TrailerPayload, runTrailer),
};

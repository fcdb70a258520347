// The worker's handler per job kind: each runs its job (video-jobs.ts) with the owner's fetch. A
// failure of the file's own (VideoError.permanent: corrupt, unsupported, not found, no transcoder)
// ends the job now instead of retrying what cannot change: the kit fails any error whose
// `permanent` is true at once.
import { job, type JobContext, type JobHandler } from '@authorworks/kit';
import type { z } from 'zod';
import { PosterPayload, ProbePayload, runPoster, runProbe, runTrailer, runValidate, TrailerPayload, ValidatePayload, type VideoJobEnv } from './video-jobs.ts';

function videoJob<Schema extends z.ZodType>(payload: Schema, run: (payload: z.output<Schema>, env: VideoJobEnv) => Promise<unknown>): JobHandler<Schema> {
  return job(payload, async (input, context: JobContext) => {
    const env: VideoJobEnv = {
      fetchAsOwner: (url, init) => context.callServiceAs(url, init),
      fetchOutside: (url, init) => fetch(url, init),
      config: context.config,
      jobId: context.job.id,
      progress: context.job.progress,
      heartbeat: (progress) => context.heartbeat(progress),
    };
    return run(input, env);
  });
}

export const videoJobHandlers = {
  probe: videoJob(ProbePayload, runProbe),
  validate: videoJob(ValidatePayload, runValidate),
  poster: videoJob(PosterPayload, runPoster),
  trailer: videoJob(TrailerPayload, runTrailer),
};

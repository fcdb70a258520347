// Encore's progress callback (`progressCallbackUri`, encore-common CallbackService.kt: POST
// { jobId, externalId, progress, status } on each change and when the job ends). A waiting poster or
// trailer job is only checked when the queue is nudged after its check is due (the ticker's 30 s on
// the deployment); a callback saying Encore finished wakes it now (the kit's `wakeJob`), so the
// outputs arrive in storage seconds after the transcode. The callback is only a nudge: the worker
// still asks Encore itself. Encore sends no credentials, so the URL carries a token, the HMAC of the
// job id under the platform's secret: nobody else can wake a job (and waking one is harmless).
import { constantTimeEqual, defineRoute, HttpError, json, utf8, wakeJob } from '@authorworks/kit';
import { z } from 'zod';
import { callbackToken } from './transcoder.ts';
import { VIDEO_QUEUE } from './video-jobs.ts';

const ENCORE_STATUSES = ['NEW', 'QUEUED', 'IN_PROGRESS', 'SUCCESSFUL', 'FAILED', 'CANCELLED'] as const;
const FINISHED: ReadonlySet<string> = new Set(['SUCCESSFUL', 'FAILED', 'CANCELLED']);

/** Encore's JobProgress. */
const EncoreProgress = z.object({
  jobId: z.string().max(100),
  externalId: z.string().max(200).nullish(),
  progress: z.number().int().min(0).max(100),
  status: z.enum(ENCORE_STATUSES),
});

export const transcoderCallback = defineRoute({
  params: z.object({ id: z.uuid() }),
  query: z.object({ token: z.string().length(64).regex(/^[0-9a-f]{64}$/, 'the token of the job’s callback URL') }),
  body: EncoreProgress,
  maxBodyBytes: 4096,
  responses: { 200: z.object({ woken: z.boolean().describe('true when a waiting job was made due now') }) },
  errors: { 404: '`not_found`: the token is not this job’s' },
}, async (context) => {
  const expected = await callbackToken(context.config.authSecret, context.params.id);
  if (!constantTimeEqual(utf8(expected), utf8(context.query.token)) || (context.body.externalId != null && context.body.externalId !== context.params.id)) {
    throw new HttpError(404, 'not_found', 'No such transcoder callback');
  }
  // Progress along the way changes nothing: the job's next check reads it from Encore.
  if (!FINISHED.has(context.body.status)) return json({ woken: false });
  const woken = await wakeJob(context.db(), context.redis(), { queue: VIDEO_QUEUE, id: context.params.id, source: 'video-api', correlationId: context.requestId, log: context.log });
  context.log.info('transcoder callback', { jobId: context.params.id, status: context.body.status, woken });
  return json({ woken });
});

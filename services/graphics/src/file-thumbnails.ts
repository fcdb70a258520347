// GET /files/:fileId/thumbnails: the automatic thumbnail job of an uploaded image (made from its
// file.uploaded event), so a client that uploaded a photo can find its thumbnails. The job is the
// file owner's: anyone else gets 404, as for a file without one.
import { FileParams } from '@authorworks/domain';
import { defineRoute, getJob, JobView, json, notFound, queryOne } from '@authorworks/kit';
import { z } from 'zod';

export const getFileThumbnails = defineRoute({
  auth: 'required',
  params: FileParams,
  responses: { 200: JobView },
  errors: { 404: 'No thumbnails job of the caller for this file' },
}, async (ctx) => {
  const row = await queryOne(ctx.db(), z.object({ job_id: z.string() }), "SELECT job_id::text AS job_id FROM auto_jobs WHERE file_id = $1::text::uuid AND kind = 'thumbnail'", [ctx.params.id]);
  const job = row ? await getJob(ctx.db(), row.job_id) : null;
  if (!job || job.ownerId !== ctx.principal.userId) throw notFound('No thumbnails for this file');
  return json(job);
});

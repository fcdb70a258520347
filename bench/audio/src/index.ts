// audio-bench: POST /bench/audio/<operation> with a file's bytes → how long the operation took
// inside the component, and its summary.
import { defineRoute, json } from '@authorworks/kit';
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { z } from 'zod';
import { OPERATIONS, runOperation } from './operations.ts';

const run = defineRoute({ params: z.object({ operation: z.enum(OPERATIONS) }), maxBodyBytes: 256 * 1024 * 1024, responses: { 200: z.object({ readMs: z.number(), ms: z.number(), summary: z.unknown() }) } }, async (ctx) => {
  const started = Date.now();
  const bytes = new Uint8Array(await ctx.request.arrayBuffer());
  const read = Date.now();
  const summary = await runOperation(ctx.params.operation, bytes);
  return json({ readMs: read - started, ms: Date.now() - read, summary });
});

serveHttp(createApi({ service: 'audio-bench', base: '/bench/audio', version: '0.1.0' }).post('/:operation', run));

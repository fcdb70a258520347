{%- assign K = job-kind | pascal_case -%}
{%- assign table = job-kind | snake_case | append: "_jobs" -%}
import { job } from '@authorworks/kit';
import { z } from 'zod';

/**
 * The payload of a {{job-kind | snake_case}} job. Producers in this service enqueue one inside the transaction of
 * their change: `await enqueueJob(tx, ctx, { queue: '{{project-name | kebab_case}}-jobs', kind: '{{job-kind | snake_case}}', payload: { input } })`
 * (the kit records the row and its nudge together; the outbox publishes the nudge after commit).
 */
export const {{K}}Payload = z.object({
  input: z.record(z.string(), z.json()).default({}),
});

/**
 * Does one job: the work, and its outcome in `{{table}}`. Throwing retries it with back-off (the kit
 * fails it with the error after its last attempt); the returned result is stored on the job and
 * sent with `job.completed` on {{project-name | kebab_case}}-events. A job whose worker died is run again after its
 * lease expires, so the outcome is written idempotently. Long work calls `ctx.heartbeat(progress)`
 * within each lease and stops when it answers false (cancelled, or taken over).
 */
export const do{{K}} = job({{K}}Payload, async (payload, { db, job: current, log }) => {
  // The work itself goes here.
  const result = { inputKeys: Object.keys(payload.input).length };
  await db().query(
    `INSERT INTO {{table}} (id, input, result) VALUES ($1::text, $2::text::jsonb, $3::text::jsonb)
     ON CONFLICT (id) DO UPDATE SET input = EXCLUDED.input, result = EXCLUDED.result, finished_at = now()`,
    [current.id, JSON.stringify(payload.input), JSON.stringify(result)],
  );
  log.info('{{job-kind | snake_case}} done', result);
  return result;
});

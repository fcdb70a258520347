{%- assign K = job-kind | pascal_case -%}
{%- assign table = job-kind | snake_case | append: "_jobs" -%}
import { on } from '@authorworks/kit';
import { z } from 'zod';

/**
 * The `data` of a {{job-kind | snake_case}}.requested event on {{project-name | kebab_case}}-jobs; the event's `subject` is the
 * job id. Producers publish it with the kit's `events.publish(channel, type, subject, data)`.
 */
export const {{K}}Requested = z.object({
  input: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Does one job: the work, its outcome in `{{table}}`, and {{job-kind | snake_case}}.completed on
 * {{project-name | kebab_case}}-events for whoever listens. The kit's consumer runs this inside a transaction together with
 * the event's `processed_events` row, so a job is recorded exactly once even when its message
 * arrives twice; a job id requested again is redone. The completion event goes out before the
 * commit: listeners read the outcome from this service, which only shows committed rows.
 */
export const on{{K}}Requested = on({{K}}Requested, async (event, { db, events, log }) => {
  // The work itself goes here.
  const result = { inputKeys: Object.keys(event.data.input).length };
  await db().query(
    `INSERT INTO {{table}} (id, requested_by, input, result) VALUES ($1::text, $2::text, $3::text::jsonb, $4::text::jsonb)
     ON CONFLICT (id) DO UPDATE SET input = EXCLUDED.input, result = EXCLUDED.result, finished_at = now()`,
    [event.subject, event.source, JSON.stringify(event.data.input), JSON.stringify(result)],
  );
  await events.publish('{{project-name | kebab_case}}-events', '{{job-kind | snake_case}}.completed', event.subject, result);
  log.info('job done', { jobId: event.subject, ...result });
});

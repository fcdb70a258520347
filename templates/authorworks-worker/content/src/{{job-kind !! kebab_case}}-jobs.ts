{%- assign K = job-kind | pascal_case -%}
import { on, utf8 } from '@authorworks/kit';
import { z } from 'zod';

/**
 * The `data` of a {{job-kind | snake_case}}.requested event on {{project-name | kebab_case}}-jobs; the event's `subject` is the
 * job id. Producers publish it with the kit's `events.publish(channel, type, subject, data)`.
 */
export const {{K}}Requested = z.object({
  input: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Does one job: the work, then its outcome in Redis (`{{project-name | kebab_case}}:jobs:<id>`) for whoever polls, then
 * {{job-kind | snake_case}}.completed on {{project-name | kebab_case}}-events for whoever listens. The kit's consumer runs this at most
 * once per event id; if it throws, the mark is released so a redelivery can try again.
 */
export const on{{K}}Requested = on({{K}}Requested, async (event, { redis, events, log }) => {
  // The work itself goes here.
  const result = { inputKeys: Object.keys(event.data.input).length };
  await redis().set(`{{project-name | kebab_case}}:jobs:${event.subject}`, utf8(JSON.stringify({ status: 'done', result })));
  await events.publish('{{project-name | kebab_case}}-events', '{{job-kind | snake_case}}.completed', event.subject, result);
  log.info('job done', { jobId: event.subject, ...result });
});

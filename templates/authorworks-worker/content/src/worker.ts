{%- assign K = job-kind | pascal_case -%}
import { createJobWorker } from '@authorworks/kit/spin';
import { do{{K}} } from './{{job-kind | kebab_case}}-jobs.ts';

/**
 * The Redis trigger's entry: each `job.requested` / `job.sweep` nudge on {{project-name | kebab_case}}-jobs makes it
 * claim and do the due jobs of the queue (the kit's durable jobs: leases, retries with back-off,
 * `job.completed` / `job.failed` on {{project-name | kebab_case}}-events).
 */
export const inboundRedis = createJobWorker({
  consumer: '{{project-name | kebab_case}}-worker',
  queue: '{{project-name | kebab_case}}-jobs',
  eventsChannel: '{{project-name | kebab_case}}-events',
  handlers: { '{{job-kind | snake_case}}': do{{K}} },
});

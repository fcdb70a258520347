import { z } from 'zod';

/** A job on `{{project-name | kebab_case}}-jobs`: who asked for what. Producers publish it as JSON. */
export const {{job-kind | pascal_case}}Job = z.object({
  id: z.string().min(1),
  kind: z.literal('{{job-kind | snake_case}}'),
  input: z.record(z.string(), z.unknown()).default({}),
  correlationId: z.string().min(1).optional(),
});
export type {{job-kind | pascal_case}}Job = z.infer<typeof {{job-kind | pascal_case}}Job>;

export type JobOutcome = { status: 'done'; jobId: string } | { status: 'rejected'; reason: string };

/**
 * Handles one message. A message that is not a valid job is rejected (logged, not thrown): the
 * Redis trigger does not redeliver, so throwing would only add a second error line.
 */
export function handle{{job-kind | pascal_case}}Message(message: Uint8Array): JobOutcome {
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(message));
  } catch {
    return log({ status: 'rejected', reason: 'message is not JSON' });
  }
  const job = {{job-kind | pascal_case}}Job.safeParse(payload);
  if (!job.success) {
    return log({ status: 'rejected', reason: job.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  // The work itself goes here.
  return log({ status: 'done', jobId: job.data.id });
}

function log(outcome: JobOutcome): JobOutcome {
  console.log(JSON.stringify({ level: outcome.status === 'done' ? 'info' : 'warn', service: '{{project-name | kebab_case}}', msg: `job ${outcome.status}`, ...outcome }));
  return outcome;
}

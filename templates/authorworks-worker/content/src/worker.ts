{%- assign K = job-kind | pascal_case -%}
import { createEventConsumer } from '@authorworks/kit/spin';
import { on{{K}}Requested } from './{{job-kind | kebab_case}}-jobs.ts';

/** The Redis trigger's entry: Spin calls it once per message on {{project-name | kebab_case}}-jobs. */
export const inboundRedis = createEventConsumer({
  consumer: '{{project-name | kebab_case}}-worker',
  idempotency: 'postgres',
  handlers: { '{{job-kind | snake_case}}.requested': on{{K}}Requested },
});

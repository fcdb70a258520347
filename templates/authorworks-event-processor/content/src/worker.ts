{%- assign E = event-type | pascal_case -%}
import { createEventConsumer } from '@authorworks/kit/spin';
import { on{{E}} } from './{{event-type | kebab_case}}.ts';

/**
 * The Redis trigger's entry: Spin calls it once per message on {{source-channel}}. Events of
 * other types are ignored; what is not an event envelope is logged and dropped.
 */
export const inboundRedis = createEventConsumer({
  consumer: '{{project-name | kebab_case}}-worker',
  idempotency: 'postgres',
  handlers: { '{{event-type}}': on{{E}} },
});

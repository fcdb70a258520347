{%- assign E = event-type | pascal_case -%}
import { on } from '@authorworks/kit';
import { z } from 'zod';

/**
 * The `data` of a {{event-type}} event as this processor reads it. Name the fields you use; the
 * rest pass through unchecked, so the producer can add fields without breaking this consumer.
 */
export const {{E}}Data = z.looseObject({});

/**
 * Counts {{event-type}} events per subject in Redis. The kit's consumer has already validated
 * the envelope and `data`, and skips an event id it has handled before, so this runs once per
 * event even when Redis delivers a message twice.
 */
export const on{{E}} = on({{E}}Data, async (event, { redis, log }) => {
  const count = await redis().incr(`{{project-name | kebab_case}}:{{event-type}}:${event.subject}`);
  log.info('{{event-type}} counted', { subject: event.subject, count });
});

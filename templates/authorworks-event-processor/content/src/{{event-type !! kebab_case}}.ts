{%- assign E = event-type | pascal_case -%}
{%- assign table = event-type | snake_case | append: "_counts" -%}
import { on, queryOne, sqlInt } from '@authorworks/kit';
import { z } from 'zod';

/**
 * The `data` of a {{event-type}} event as this processor reads it. Name the fields you use; the
 * rest pass through unchecked, so the producer can add fields without breaking this consumer.
 */
export const {{E}}Data = z.looseObject({});

const CountRow = z.object({ count: sqlInt });

/**
 * Counts {{event-type}} events per subject in `{{table}}`. The kit's consumer has already
 * validated the envelope and `data`, and runs this in a transaction together with the event's
 * `processed_events` row, so each event counts once even when Redis delivers it twice.
 */
export const on{{E}} = on({{E}}Data, async (event, { db, log }) => {
  const row = await queryOne(
    db(),
    CountRow,
    `INSERT INTO {{table}} (subject, count, last_event_id) VALUES ($1::text, 1, $2::text)
     ON CONFLICT (subject) DO UPDATE SET count = {{table}}.count + 1, last_event_id = EXCLUDED.last_event_id, updated_at = now()
     RETURNING count`,
    [event.subject, event.id],
  );
  log.info('{{event-type}} counted', { subject: event.subject, count: row?.count });
});

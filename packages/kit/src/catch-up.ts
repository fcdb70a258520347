import { z } from 'zod';
import { readEventLog, type EventLogPosition } from './event-log.ts';
import type { Logger } from './logging.ts';
import type { RedisClient } from './redis.ts';
import { queryRows, type SqlClient } from './sql.ts';

// Catch-up of a Redis-triggered consumer from its channels' event logs (event-log.ts): run after
// every message, it handles what the logs hold beyond the positions stored in the consumer's own
// database (`event_log_positions`, the kit's migration 007), so an event whose pub/sub message was
// missed — the consumer was down, restarting, or failed on it — is handled late rather than never.

/** Log entries one catch-up handles per channel at most; the next message continues. */
export const CATCH_UP_BATCH = 100;

const Position = z.object({ channel: z.string(), ms: z.string(), seq: z.string() });

/**
 * Handles what the channels' event logs hold beyond the stored positions, oldest first, through
 * `handle` (the same consumer as live messages: it skips event ids already handled and drops bad
 * payloads). A position moves past an entry only once `handle` returned; an entry whose handling
 * throws (a database failure, say) stays first in line for the next message. Never throws.
 */
export async function catchUp(options: {
  db: SqlClient;
  redis: RedisClient;
  channels: readonly string[];
  handle: (payload: Uint8Array) => Promise<void>;
  log: Logger;
}): Promise<{ handled: number }> {
  let handled = 0;
  try {
    const stored = await queryRows(options.db, Position, 'SELECT channel, ms::text AS ms, seq::text AS seq FROM event_log_positions');
    const positions = new Map(stored.map((row) => [row.channel, { ms: BigInt(row.ms), seq: BigInt(row.seq) }]));
    for (const channel of options.channels) {
      let position: EventLogPosition | null = positions.get(channel) ?? null;
      const entries = await readEventLog(options.redis, channel, position, CATCH_UP_BATCH);
      for (const entry of entries) {
        try {
          await options.handle(entry.payload);
        } catch (error) {
          options.log.warn('catch-up stopped at an event that failed; the next message retries it', { channel, error });
          break;
        }
        position = entry.position;
        handled += 1;
      }
      if (position !== null && entries.length > 0) {
        await options.db.query(
          `INSERT INTO event_log_positions (channel, ms, seq) VALUES ($1::text, $2::text::int8, $3::text::int8)
           ON CONFLICT (channel) DO UPDATE SET ms = EXCLUDED.ms, seq = EXCLUDED.seq, updated_at = now()
            WHERE (event_log_positions.ms, event_log_positions.seq) < (EXCLUDED.ms, EXCLUDED.seq)`,
          [channel, String(position.ms), String(position.seq)],
        );
      }
    }
  } catch (error) {
    options.log.error('catch-up from the event log failed; the next message tries again', { error });
  }
  return { handled };
}

import { fromUtf8, utf8 } from './encoding.ts';
import type { RedisClient, RedisValue } from './redis.ts';

// The event log: every event the outbox publishes is also appended to a Redis stream per channel
// (`event-log:<channel>`, capped at about EVENT_LOG_MAX_LENGTH entries). Pub/sub reaches only
// listeners that are up; a consumer that was down, or lost a message, reads the log from the
// position it stored and handles what it missed (idempotently, by event id).

/** Entries kept per channel (XADD MAXLEN ~: Redis trims whole nodes, so a few more may stay). */
export const EVENT_LOG_MAX_LENGTH = 10_000;

export function eventLogKey(channel: string): string {
  return `event-log:${channel}`;
}

/** A stream entry id, `<ms>-<seq>`, as two numbers that order like the ids. */
export interface EventLogPosition {
  ms: bigint;
  seq: bigint;
}

export interface EventLogEntry {
  position: EventLogPosition;
  payload: Uint8Array;
}

/** A reply value as bytes: inside a component a `list<u8>` may arrive as an array-like of numbers, not a Uint8Array. */
function bytesOf(value: RedisValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object' && typeof (value as ArrayLike<number>).length === 'number') return Uint8Array.from(value as ArrayLike<number>);
  return utf8(String(value));
}

const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;

export function parseEventLogId(id: string): EventLogPosition | null {
  const match = ENTRY_ID.exec(id);
  return match ? { ms: BigInt(match[1]!), seq: BigInt(match[2]!) } : null;
}

/** Appends one published envelope to its channel's log. */
export async function appendEventLog(redis: RedisClient, channel: string, payload: Uint8Array): Promise<void> {
  await redis.execute('XADD', [eventLogKey(channel), 'MAXLEN', '~', String(EVENT_LOG_MAX_LENGTH), '*', 'event', payload]);
}

/**
 * Up to `count` entries after `after` (from the start when null), oldest first. Spin flattens
 * XRANGE's nested reply into `id, field, value, id, field, value, ...`; entries are written with
 * exactly one field, so every third value starts an entry.
 */
export async function readEventLog(redis: RedisClient, channel: string, after: EventLogPosition | null, count: number): Promise<EventLogEntry[]> {
  // From the millisecond of `after`, whose entries up to `after` are then skipped: XRANGE's
  // exclusive `(` form needs Redis 6.2, and the embedded Redis of tests (ioredis-mock) compares
  // a start only as a number. Entries of one millisecond are few, so the extra COUNT is bounded.
  const start = after === null ? '-' : String(after.ms);
  const skipped = after === null ? 0 : Number(after.seq < 1000n ? after.seq : 1000n) + 1;
  const reply = (await redis.execute('XRANGE', [eventLogKey(channel), start, '+', 'COUNT', String(count + skipped)])).filter((value) => value !== null);
  const entries: EventLogEntry[] = [];
  for (let i = 0; i + 2 < reply.length; i += 3) {
    const id = reply[i];
    const position = parseEventLogId(typeof id === 'string' || typeof id === 'number' ? String(id) : (fromUtf8(bytesOf(id ?? null)) ?? ''));
    const value = reply[i + 2];
    if (!position || value === undefined) break;
    if (after !== null && (position.ms < after.ms || (position.ms === after.ms && position.seq <= after.seq))) continue;
    entries.push({ position, payload: bytesOf(value) });
  }
  return entries.slice(0, count);
}

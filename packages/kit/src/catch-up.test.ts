import { describe, expect, it } from 'vitest';
import { CATCH_UP_BATCH, catchUp } from './catch-up.ts';
import { fromUtf8, utf8 } from './encoding.ts';
import { appendEventLog } from './event-log.ts';
import { InMemoryRedis } from './in-memory-host.ts';
import { createLogger } from './logging.ts';
import type { SqlClient } from './sql.ts';

/** `event_log_positions` as the two statements of catch-up.ts use it: read all, move forward only. */
function positionsTable() {
  const rows = new Map<string, { ms: bigint; seq: bigint }>();
  const db: SqlClient = {
    async query(sql, params = []) {
      if (sql.startsWith('SELECT')) return { rows: [...rows].map(([channel, p]) => ({ channel, ms: String(p.ms), seq: String(p.seq) })) };
      const [channel, ms, seq] = params.map(String) as [string, string, string];
      const old = rows.get(channel);
      const next = { ms: BigInt(ms), seq: BigInt(seq) };
      if (!old || old.ms < next.ms || (old.ms === next.ms && old.seq < next.seq)) rows.set(channel, next);
      return { rows: [] };
    },
  };
  return { db, rows };
}

const log = createLogger({ level: 'error', sink: () => undefined });

describe('catch-up from the event logs', () => {
  it('handles what each log holds beyond the stored position, once, oldest first, a batch per call', async () => {
    const redis = new InMemoryRedis();
    const { db, rows } = positionsTable();
    for (let n = 1; n <= CATCH_UP_BATCH + 2; n++) await appendEventLog(redis, 'a-events', utf8(`a${n}`));
    await appendEventLog(redis, 'b-events', utf8('b1'));
    const seen: string[] = [];
    const handle = async (payload: Uint8Array) => void seen.push(fromUtf8(payload) ?? '');

    expect(await catchUp({ db, redis, channels: ['a-events', 'b-events'], handle, log })).toEqual({ handled: CATCH_UP_BATCH + 1 });
    expect(seen.slice(0, 2)).toEqual(['a1', 'a2']);
    expect(seen.slice(-2)).toEqual([`a${CATCH_UP_BATCH}`, 'b1']);
    expect([...rows.keys()].sort()).toEqual(['a-events', 'b-events']);
    seen.length = 0;
    expect(await catchUp({ db, redis, channels: ['a-events', 'b-events'], handle, log })).toEqual({ handled: 2 });
    expect(seen).toEqual([`a${CATCH_UP_BATCH + 1}`, `a${CATCH_UP_BATCH + 2}`]);
    expect(await catchUp({ db, redis, channels: ['a-events', 'b-events'], handle, log })).toEqual({ handled: 0 });
  });

  it('stops a channel at an entry that fails, keeping it first in line, and never throws', async () => {
    const redis = new InMemoryRedis();
    const { db } = positionsTable();
    for (const payload of ['ok', 'bad', 'after']) await appendEventLog(redis, 'a-events', utf8(payload));
    let failing = true;
    const seen: string[] = [];
    const handle = async (payload: Uint8Array) => {
      const text = fromUtf8(payload) ?? '';
      if (text === 'bad' && failing) throw new Error('database down');
      seen.push(text);
    };
    expect(await catchUp({ db, redis, channels: ['a-events'], handle, log })).toEqual({ handled: 1 });
    failing = false;
    expect(await catchUp({ db, redis, channels: ['a-events'], handle, log })).toEqual({ handled: 2 });
    expect(seen).toEqual(['ok', 'bad', 'after']);

    const broken: SqlClient = { query: async () => Promise.reject(new Error('no database')) };
    await expect(catchUp({ db: broken, redis, channels: ['a-events'], handle, log })).resolves.toEqual({ handled: 0 });
  });
});

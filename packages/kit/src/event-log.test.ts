import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from './encoding.ts';
import { appendEventLog, readEventLog } from './event-log.ts';
import { InMemoryRedis } from './in-memory-host.ts';

describe('event log', () => {
  it('reads entries after a position, oldest first, in pages', async () => {
    let now = 1000;
    const redis = new InMemoryRedis(() => now);
    for (const n of [1, 2, 3]) await appendEventLog(redis, 'content-events', utf8(`{"n":${n}}`));
    now = 2000;
    await appendEventLog(redis, 'content-events', utf8('{"n":4}'));
    await appendEventLog(redis, 'user-events', utf8('{"other":true}'));

    const first = await readEventLog(redis, 'content-events', null, 2);
    expect(first.map((entry) => fromUtf8(entry.payload))).toEqual(['{"n":1}', '{"n":2}']);
    const rest = await readEventLog(redis, 'content-events', first[1]!.position, 10);
    expect(rest.map((entry) => fromUtf8(entry.payload))).toEqual(['{"n":3}', '{"n":4}']);
    expect(rest.map((entry) => entry.position)).toEqual([{ ms: 1000n, seq: 2n }, { ms: 2000n, seq: 0n }]);
    expect(await readEventLog(redis, 'content-events', rest[1]!.position, 10)).toEqual([]);
    expect(await readEventLog(redis, 'nothing-here', null, 10)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { oneFileAtATimeOnSharedServers, sharesBackends } from './vitest-projects.mjs';

describe('oneFileAtATimeOnSharedServers', () => {
  it('runs files side by side on embedded backends', () => {
    expect(sharesBackends({})).toBe(false);
    expect(oneFileAtATimeOnSharedServers({})).toEqual({ isolate: false, fileParallelism: true, sequence: { groupOrder: 0 } });
  });

  it('runs them one at a time, in a group of their own, when any server is shared', () => {
    for (const env of [{ DB_CONNECTION: 'postgres://postgres@127.0.0.1:5432' }, { REDIS_ADDRESS: 'redis://127.0.0.1:6379' }, { MINIO_ENDPOINT: 'http://127.0.0.1:7480' }]) {
      expect(sharesBackends(env)).toBe(true);
      expect(oneFileAtATimeOnSharedServers(env)).toEqual({ isolate: false, fileParallelism: false, sequence: { groupOrder: 1 } });
    }
  });

  it('takes an empty variable as unset', () => {
    expect(sharesBackends({ DB_CONNECTION: '', REDIS_ADDRESS: '' })).toBe(false);
  });
});

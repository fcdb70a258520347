import type { RedisValue } from './redis.ts';

/**
 * Redis keys that a step after the handler wants to know, read in the call the request makes to
 * Redis anyway — the revocation check's `MGET` (revocation.ts) — rather than in a call of their own:
 * every Redis call is a host call the request waits on (docs/decisions.md, Decision 14). A request
 * without a token makes no such call; then nothing is known, and the step asks Redis itself.
 */
export interface RedisReadAlong {
  /** Asks for `key` to be read along with the request's revocation check. */
  want(key: string): void;
  /** The keys asked for, in the order asked. */
  readonly wanted: readonly string[];
  /** Records what the read found for `key` (null: no such key). */
  found(key: string, value: RedisValue | null): void;
  /** What was found for `key`: its value, null when there is no such key, undefined when nothing read it. */
  valueOf(key: string): RedisValue | null | undefined;
}

export function createRedisReadAlong(): RedisReadAlong {
  const wanted: string[] = [];
  const values = new Map<string, RedisValue | null>();
  return {
    want(key) {
      if (!wanted.includes(key)) wanted.push(key);
    },
    wanted,
    found(key, value) {
      values.set(key, value);
    },
    valueOf(key) {
      return values.get(key);
    },
  };
}

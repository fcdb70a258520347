import { utf8 } from './encoding.ts';

/** A reply element of `execute`: nil, a status ("OK"), an integer, or bytes. */
export type RedisValue = null | string | number | Uint8Array;

/** The outbound Redis operations of Spin's `fermyon:spin/redis` interface. */
export interface RedisClient {
  publish(channel: string, payload: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array): Promise<void>;
  incr(key: string): Promise<number>;
  del(keys: string[]): Promise<number>;
  execute(command: string, args: readonly (string | number | Uint8Array)[]): Promise<RedisValue[]>;
}

const decoder = new TextDecoder();

export function redisText(value: RedisValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return decoder.decode(value);
}

export function redisNumber(value: RedisValue | undefined): number | null {
  const text = redisText(value);
  return text === null || !/^-?\d+$/.test(text) ? null : Number(text);
}

/** SET key value NX EX ttl: true when this call created the key. */
export async function setIfAbsent(redis: RedisClient, key: string, value: string, ttlSeconds: number): Promise<boolean> {
  const [reply] = await redis.execute('SET', [key, utf8(value), 'NX', 'EX', ttlSeconds]);
  return reply !== null && reply !== undefined;
}

export async function expire(redis: RedisClient, key: string, ttlSeconds: number): Promise<void> {
  await redis.execute('EXPIRE', [key, ttlSeconds]);
}

/**
 * Whole seconds until `key` expires, rounded up (PTTL, so a client waiting this long is never
 * early); null when it does not exist or has no expiry.
 */
export async function timeToLive(redis: RedisClient, key: string): Promise<number | null> {
  const [reply] = await redis.execute('PTTL', [key]);
  const milliseconds = redisNumber(reply);
  return milliseconds === null || milliseconds < 0 ? null : Math.ceil(milliseconds / 1000);
}

// In-memory stand-ins for Spin's host, for unit tests in Node. Not for production use.
import { createRequestContext, type RouteInput } from './context.ts';
import type { Host } from './host.ts';
import { utf8 } from './encoding.ts';
import type { RedisClient, RedisValue } from './redis.ts';
import type { SqlClient } from './sql.ts';

const decoder = new TextDecoder();

/** Enough of Redis for the kit: strings with expiry, INCR, DEL, PUBLISH, the SET/EXPIRE/TTL/GET/PING commands, and XADD/XRANGE for the event log. */
export class InMemoryRedis implements RedisClient {
  readonly published: { channel: string; payload: string }[] = [];
  /** The commands `execute` was sent, in order (tests count a request's Redis calls with it). */
  readonly commands: string[] = [];
  private readonly values = new Map<string, { value: Uint8Array; expiresAt: number | null }>();
  /** Streams (XADD/XRANGE with one field per entry, as the event log writes them). */
  private readonly streams = new Map<string, { ms: number; seq: number; value: Uint8Array }[]>();

  constructor(private readonly clock: () => number = () => Date.now()) {}

  private live(key: string) {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.clock()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  async publish(channel: string, payload: Uint8Array) {
    this.published.push({ channel, payload: decoder.decode(payload) });
  }
  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async set(key: string, value: Uint8Array) {
    this.values.set(key, { value, expiresAt: null });
  }
  async incr(key: string) {
    const entry = this.live(key);
    const next = (entry ? Number(decoder.decode(entry.value)) : 0) + 1;
    this.values.set(key, { value: utf8(String(next)), expiresAt: entry?.expiresAt ?? null });
    return next;
  }
  async del(keys: string[]) {
    let removed = 0;
    for (const key of keys) if (this.live(key) && this.values.delete(key)) removed++;
    return removed;
  }
  async execute(command: string, args: readonly (string | number | Uint8Array)[]): Promise<RedisValue[]> {
    this.commands.push(command.toUpperCase());
    const text = args.map((arg) => (arg instanceof Uint8Array ? decoder.decode(arg) : String(arg)));
    switch (command.toUpperCase()) {
      case 'PING':
        return ['PONG'];
      case 'GET':
        return [this.live(text[0]!)?.value ?? null];
      case 'MGET':
        return text.map((key) => this.live(key)?.value ?? null);
      case 'SET': {
        const [key, value, ...flags] = text as [string, string, ...string[]];
        const upper = flags.map((flag) => flag.toUpperCase());
        if (upper.includes('NX') && this.live(key)) return [null];
        const ex = upper.indexOf('EX');
        const expiresAt = ex >= 0 ? this.clock() + Number(flags[ex + 1]) * 1000 : null;
        this.values.set(key, { value: utf8(value), expiresAt });
        return ['OK'];
      }
      case 'DECR': {
        const entry = this.live(text[0]!);
        const next = (entry ? Number(decoder.decode(entry.value)) : 0) - 1;
        this.values.set(text[0]!, { value: utf8(String(next)), expiresAt: entry?.expiresAt ?? null });
        return [next];
      }
      case 'EXPIRE': {
        const entry = this.live(text[0]!);
        if (!entry) return [0];
        entry.expiresAt = this.clock() + Number(text[1]) * 1000;
        return [1];
      }
      case 'TTL':
      case 'PTTL': {
        const entry = this.live(text[0]!);
        if (!entry) return [-2];
        if (entry.expiresAt === null) return [-1];
        const milliseconds = entry.expiresAt - this.clock();
        return [command.toUpperCase() === 'PTTL' ? milliseconds : Math.floor(milliseconds / 1000)];
      }
      case 'XADD': {
        // XADD key MAXLEN ~ <n> * <field> <value>
        const entries = this.streams.get(text[0]!) ?? [];
        const last = entries[entries.length - 1];
        const now = this.clock();
        const entry = last && last.ms >= now ? { ms: last.ms, seq: last.seq + 1 } : { ms: now, seq: 0 };
        const value = args[args.length - 1]!;
        entries.push({ ...entry, value: value instanceof Uint8Array ? value : utf8(String(value)) });
        const max = Number(text[3]);
        if (entries.length > max) entries.splice(0, entries.length - max);
        this.streams.set(text[0]!, entries);
        return [`${entry.ms}-${entry.seq}`];
      }
      case 'XRANGE': {
        // XRANGE key <start> + COUNT <n>: flattened as Spin does (id, field, value, ...).
        const [key, start, , , count] = text as [string, string, string, string, string];
        const [ms, seq = 0] = start === '-' ? [0, 0] : (start.split('-').map(Number) as [number, number?]);
        return (this.streams.get(key) ?? [])
          .filter((entry) => entry.ms > ms! || (entry.ms === ms && entry.seq >= seq!))
          .slice(0, Number(count))
          .flatMap((entry) => [`${entry.ms}-${entry.seq}`, 'event', entry.value]);
      }
      default:
        throw new Error(`InMemoryRedis: ${command} not implemented`);
    }
  }
}

/** A host with fixed variables, one shared in-memory Redis and a given SQL client. */
export function inMemoryHost(options: {
  variables: Record<string, string>;
  redis?: InMemoryRedis;
  sql?: SqlClient;
}): Host & { redis: InMemoryRedis } {
  const redis = options.redis ?? new InMemoryRedis();
  return {
    redis,
    variables: { get: (name) => options.variables[name] },
    openPostgres() {
      if (options.sql) return options.sql;
      throw new Error('inMemoryHost: no SQL client given');
    },
    openRedis: () => redis,
  };
}

/**
 * A route's context for `request` on an in-memory host, as the API hands it to route middlewares
 * (nothing authenticated or validated yet), for unit tests of those middlewares.
 */
export function inMemoryRouteInput(
  request: Request,
  options: { variables: Record<string, string>; pathParams?: Record<string, string>; redis?: InMemoryRedis; now?: () => number },
): RouteInput {
  const host = inMemoryHost({ variables: options.variables, ...(options.redis ? { redis: options.redis } : {}) });
  const context = createRequestContext(request, host, { service: 'test', now: options.now ?? (() => Date.now()) });
  return { ...context, pathParams: options.pathParams ?? {}, principal: null, params: undefined, query: undefined, body: undefined };
}

/**
 * Redis for guests (outbound Redis, the Redis trigger, Redis key-value stores): either the real
 * server named by `realUrl` (every address the app uses is sent there), or an embedded in-process
 * Redis (ioredis-mock) shared by the whole app, whose publishes reach the app's own subscribers.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { WitError } from '../host-bridge.ts';

export type RedisResult = { tag: 'nil' } | { tag: 'status'; val: string } | { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };
export type RedisParameter = { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };

type RedisClass = typeof Redis;

/** The Redis client libraries load on first use (ioredis-mock alone takes ~130 ms to import). */
let clientClasses: Promise<{ real: RedisClass; embedded: RedisClass }> | undefined;
export function loadRedisClients(): Promise<{ real: RedisClass; embedded: RedisClass }> {
  clientClasses ??= Promise.all([import('ioredis'), import('ioredis-mock')]).then(([real, embedded]) => ({ real: real.default, embedded: embedded.default }));
  return clientClasses;
}

/** What happened to the Redis trigger's subscription connection. */
export type SubscriberEvent = { kind: 'lost'; reason: string } | { kind: 'restored'; channels: string[] };

export class RedisBackend {
  private readonly clients = new Map<string, Redis>();
  private readonly subscribers = new Map<string, Redis>();
  /** ioredis-mock shares data between instances with the same host: one host per app keeps apps apart. */
  private readonly embeddedHost = `spin-local-${randomUUID()}`;
  /** The trigger's connection name on a real server (`CLIENT LIST`), unique per app. */
  readonly subscriberName = `spin-local-trigger-${randomUUID()}`;
  private subscriberListener: ((event: SubscriberEvent) => void) | undefined;

  private constructor(
    readonly realUrl: string | undefined,
    private readonly classes: { real: RedisClass; embedded: RedisClass },
  ) {}

  static async create(realUrl: string | undefined): Promise<RedisBackend> {
    return new RedisBackend(realUrl, await loadRedisClients());
  }

  get kind(): 'real' | 'embedded' {
    return this.realUrl ? 'real' : 'embedded';
  }

  /** Every address the app uses reaches the same server: the real one, or the embedded one. */
  private create(): Redis {
    if (this.realUrl) return new this.classes.real(this.realUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    return new this.classes.embedded({ host: this.embeddedHost, port: 6379 });
  }

  client(address: string): Redis {
    if (!this.realUrl && !/^rediss?:\/\//.test(address)) throw new WitError({ tag: 'invalid-address' });
    let client = this.clients.get('command');
    if (!client) {
      client = this.create();
      client.on('error', () => {});
      this.clients.set('command', client);
    }
    return client;
  }

  private readonly channelListeners = new Map<string, ((channel: string, payload: Buffer) => void)[]>();

  /** Told when the trigger's connection drops and when it is subscribed again. */
  onSubscriberEvent(listener: (event: SubscriberEvent) => void): void {
    this.subscriberListener = listener;
  }

  /**
   * Spin's Redis trigger returns an error when its connection drops and `spin up` stops every
   * trigger (crates/trigger-redis/src/lib.rs `run_listener`: "disconnected from …"; src/commands/
   * up.rs). spin-local keeps serving instead: ioredis reconnects with back-off, and once the
   * connection is ready again every channel is subscribed again before that is reported.
   */
  private watchSubscriber(subscriber: Redis): void {
    let lost = false;
    let lastError = '';
    subscriber.on('error', (error: Error) => {
      lastError = error.message;
    });
    subscriber.on('close', () => {
      if (lost || this.closing) return;
      lost = true;
      this.subscriberListener?.({ kind: 'lost', reason: lastError || 'connection closed' });
    });
    subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      lastError = '';
      const channels = [...this.channelListeners.keys()].map((k) => k.slice(k.indexOf(' ') + 1));
      void subscriber.subscribe(...channels).then(
        () => this.subscriberListener?.({ kind: 'restored', channels }),
        (error: unknown) => this.subscriberListener?.({ kind: 'lost', reason: error instanceof Error ? error.message : String(error) }),
      );
    });
  }

  private closing = false;

  /** Subscribes `onMessage` to a channel (the address only matters for validation: one server). */
  async subscribe(address: string, channel: string, onMessage: (channel: string, payload: Buffer) => void): Promise<void> {
    this.client(address);
    const key = 'subscriber';
    let subscriber = this.subscribers.get(key);
    if (!subscriber) {
      subscriber = this.realUrl
        ? new this.classes.real(this.realUrl, { connectionName: this.subscriberName, maxRetriesPerRequest: null, enableOfflineQueue: true })
        : this.create();
      if (this.realUrl) this.watchSubscriber(subscriber);
      else subscriber.on('error', () => {});
      subscriber.on('messageBuffer', (ch: Buffer | string, payload: Buffer) => {
        for (const listener of this.channelListeners.get(`${key} ${String(ch)}`) ?? []) listener(String(ch), payload);
      });
      this.subscribers.set(key, subscriber);
    }
    const listenerKey = `${key} ${channel}`;
    this.channelListeners.set(listenerKey, [...(this.channelListeners.get(listenerKey) ?? []), onMessage]);
    await subscriber.subscribe(channel);
  }

  async publish(address: string, channel: string, payload: Uint8Array | string): Promise<void> {
    // Always a Buffer: ioredis-mock emits `messageBuffer`, which the trigger listens to, only for those.
    await this.client(address).publish(channel, Buffer.from(payload));
  }

  async execute(address: string, command: string, args: RedisParameter[]): Promise<RedisResult[]> {
    const client = this.client(address);
    const values = args.map((a) => (a.tag === 'int64' ? a.val.toString() : Buffer.from(a.val)));
    let reply: unknown;
    const dynamic = client as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
    if (typeof dynamic.callBuffer === 'function') reply = await dynamic.callBuffer.call(client, command, ...values);
    else {
      // ioredis-mock has no generic `call`: dispatch to the method named after the command. It
      // reads options (SET … NX EX 60) only from strings, so UTF-8 arguments are passed as text.
      const method = dynamic[`${command.toLowerCase()}Buffer`] ?? dynamic[command.toLowerCase()];
      if (!method) throw new WitError({ tag: 'other', val: `unsupported command in embedded Redis: ${command}` });
      reply = await method.call(client, ...values.map(textIfUtf8));
    }
    // Buffer mode cannot tell a status reply from a bulk string: commands that answer with a
    // status (+OK, +PONG, +string for TYPE) get it back as Spin's `status`.
    if (statusCommands.has(command.toUpperCase()) && reply instanceof Uint8Array) return [{ tag: 'status', val: Buffer.from(reply).toString() }];
    return toResults(reply);
  }

  /** Empties the embedded store (tests); a real server's current database is flushed too. */
  async flush(): Promise<void> {
    await this.client(this.realUrl ?? 'redis://embedded').flushdb();
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.clients.values(), ...this.subscribers.values()];
    this.clients.clear();
    this.subscribers.clear();
    await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function textIfUtf8(value: string | Buffer): string | Buffer {
  if (typeof value === 'string') return value;
  try {
    return strictUtf8.decode(value);
  } catch {
    return value;
  }
}

const statusCommands = new Set(['SET', 'MSET', 'SETEX', 'PSETEX', 'HMSET', 'PING', 'SELECT', 'FLUSHDB', 'FLUSHALL', 'RENAME', 'LSET', 'LTRIM', 'TYPE', 'MULTI', 'DISCARD', 'WATCH', 'UNWATCH', 'AUTH', 'RESTORE']);

function toResults(reply: unknown): RedisResult[] {
  if (Array.isArray(reply)) return reply.flatMap(toResults);
  if (reply === null || reply === undefined) return [{ tag: 'nil' }];
  if (typeof reply === 'number') return [{ tag: 'int64', val: BigInt(reply) }];
  if (typeof reply === 'bigint') return [{ tag: 'int64', val: reply }];
  if (typeof reply === 'string') return [{ tag: 'status', val: reply }];
  if (reply instanceof Uint8Array) return [{ tag: 'binary', val: new Uint8Array(reply) }];
  return [{ tag: 'status', val: String(reply) }];
}

/** Maps a Redis failure to Spin's redis error variant. */
export function redisError(error: unknown): WitError {
  if (error instanceof WitError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/WRONGTYPE|not an integer|out of range/i.test(message)) return new WitError({ tag: 'type-error' });
  return new WitError({ tag: 'other', val: message });
}

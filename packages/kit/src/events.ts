import { EventEnvelope } from '@authorworks/domain';
import type { z } from 'zod';
import { Config } from './config.ts';
import { inputProblem } from './input-text.ts';
import { fromUtf8, utf8 } from './encoding.ts';
import type { Host } from './host.ts';
import { createLogger, type Logger } from './logging.ts';
import { randomUuid } from './random.ts';
import { setIfAbsent, type RedisClient } from './redis.ts';
import { transaction, type SqlClient, type SqlParam } from './sql.ts';
import { outboxParams, recordEvent, sweepOutbox, type OutboxSweepOptions } from './outbox.ts';

export function createEvent<Data>(fields: {
  type: string;
  source: string;
  subject: string;
  data: Data;
  correlationId: string;
  id?: string;
  time?: Date;
}): EventEnvelope<Data> {
  return {
    id: fields.id ?? randomUuid(),
    type: fields.type,
    source: fields.source,
    time: (fields.time ?? new Date()).toISOString(),
    subject: fields.subject,
    data: fields.data,
    correlationId: fields.correlationId,
  };
}

export interface EventPublisher {
  /**
   * Publishes an event caused by the current request. Pub/sub is a nudge, not a record: a
   * failure is logged and does not fail the request that already committed its data.
   */
  publish<Data>(channel: string, type: string, subject: string, data: Data): Promise<EventEnvelope<Data>>;
  /**
   * Records an event in `tx` (the transactional outbox, see outbox.ts): it is published after the
   * handler returns if the transaction committed, and by a later request if publishing fails.
   * Use it for events other services must not miss.
   */
  record(tx: SqlClient, channel: string, type: string, subject: string, data: unknown): Promise<void>;
  /**
   * For a statement that records its event itself (`outboxInsertSql`): the row's parameters. The
   * request then flushes after the handler, as after `record`.
   */
  recordInStatement(channel: string, type: string, subject: string, data: unknown): SqlParam[];
}

export function createEventPublisher(options: {
  source: string;
  correlationId: string;
  redis: () => RedisClient;
  log: Logger;
  /** Told when an event is recorded in the outbox, so the caller flushes it after the handler. */
  onRecord?: () => void;
}): EventPublisher {
  return {
    async record(tx, channel, type, subject, data) {
      await recordEvent(tx, { channel, type, subject, data, correlationId: options.correlationId });
      options.onRecord?.();
    },
    recordInStatement(channel, type, subject, data) {
      options.onRecord?.();
      return outboxParams({ channel, type, subject, data, correlationId: options.correlationId });
    },
    async publish(channel, type, subject, data) {
      const event = createEvent({ type, source: options.source, subject, data, correlationId: options.correlationId });
      try {
        await options.redis().publish(channel, utf8(JSON.stringify(event)));
        options.log.debug('event published', { channel, eventType: type, eventId: event.id });
      } catch (error) {
        options.log.error('event not published', { channel, eventType: type, eventId: event.id, error });
      }
      return event;
    },
  };
}

/** Parses a pub/sub message into an envelope, or returns the reason it is not one. */
export function decodeEvent(message: Uint8Array): { ok: true; event: EventEnvelope } | { ok: false; reason: string } {
  const text = fromUtf8(message);
  if (text === null) return { ok: false, reason: 'not UTF-8' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const problem = inputProblem('event', json);
  if (problem) return { ok: false, reason: `${problem.path}: ${problem.message}` };
  const parsed = EventEnvelope.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
  }
  return { ok: true, event: parsed.data };
}

/** What an event handler gets. */
export interface EventContext {
  log: Logger;
  config: Config;
  /** The database; inside the idempotency transaction when `idempotency` is `postgres`. */
  db(): SqlClient;
  redis(): RedisClient;
  /** Publishes follow-up events with this event's correlation id. */
  events: Pick<EventPublisher, 'publish'>;
}

export interface EventHandler<Schema extends z.ZodType> {
  /** Schema of `data`; a message whose data does not match is logged and dropped. */
  data: Schema;
  /**
   * May be async: componentize-js >= 0.11 keeps a Redis export running until its promise settles
   * (0.10 reported success at the first `await` and dropped the rest).
   */
  handle(event: EventEnvelope<z.output<Schema>>, context: EventContext): Promise<void> | void;
}

/** Keeps the handler's type link between `data` and `handle`. */
export function on<Schema extends z.ZodType>(data: Schema, handle: EventHandler<Schema>['handle']): EventHandler<Schema> {
  return { data, handle };
}

/**
 * How an event id seen before is skipped:
 * - `redis`: SET NX on `processed:<consumer>:<id>` (kept 7 days), released again if handling fails;
 * - `postgres`: a row in `processed_events` inserted in the same transaction as the handler's
 *   writes, so the effects and the mark commit together (see PROCESSED_EVENTS_SQL);
 * - `none`: the handler is idempotent by itself.
 */
export type Idempotency = 'redis' | 'postgres' | 'none';

/** Table for `idempotency: 'postgres'`; put it in the consuming service's migrations. */
export const PROCESSED_EVENTS_SQL = `CREATE TABLE IF NOT EXISTS processed_events (
  consumer text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);`;

const PROCESSED_TTL_SECONDS = 7 * 24 * 3600;

export interface EventConsumerOptions {
  /** Name of the consuming component, e.g. `content-worker`; namespaces the idempotency marks. */
  consumer: string;
  handlers: Record<string, EventHandler<z.ZodType>>;
  idempotency: Idempotency;
  host: Host;
  /** Upkeep after every message, whatever it was (a tick, an event, garbage), at most once per interval. */
  maintenance?: ConsumerMaintenance;
}

/** What a consumer does after its messages, rate-limited across all replicas (Redis `SET NX EX`). */
export interface ConsumerMaintenance {
  /** Publish outbox rows a crash left behind in this consumer's database (`sweepOutbox`). */
  outbox?: OutboxSweepOptions;
  /** Repairs of the consumer's own, at most once per `everySeconds` (default 30) per consumer. */
  run?: (context: Pick<EventContext, 'log' | 'config' | 'db' | 'redis'>) => Promise<void>;
  everySeconds?: number;
}

/** The event type of the deployment's clock (the compose `ticker`): no handler needs it; any message runs upkeep. */
export const TICK_EVENT_TYPE = 'platform.tick';

/**
 * A Redis-trigger handler (`export const inboundRedis = createEventConsumer(...)`). Messages that
 * are not envelopes, or whose data does not match, are logged and dropped (retrying cannot fix
 * them); events of other types are ignored; a throwing handler is logged and rethrown so Spin
 * records the failure.
 */
export function createEventConsumer(options: EventConsumerOptions): { handleMessage(message: Uint8Array): Promise<void> } {
  return {
    async handleMessage(message) {
      const config = new Config(options.host.variables);
      const baseLog = createLogger({ level: config.logLevel, fields: { component: options.consumer } });
      let database: SqlClient | undefined;
      let redisClient: RedisClient | undefined;
      const db = () => (database ??= options.host.openPostgres(config.dbConnection));
      const redis = () => (redisClient ??= options.host.openRedis(config.redisAddress));
      try {
        await handleOne(message, config, baseLog, db, redis);
      } finally {
        if (options.maintenance) await maintain(options.consumer, options.maintenance, { log: baseLog, config, db, redis });
      }
    },
  };

  async function handleOne(message: Uint8Array, config: Config, baseLog: Logger, db: () => SqlClient, redis: () => RedisClient): Promise<void> {
    const decoded = decodeEvent(message);
    if (!decoded.ok) {
      baseLog.warn('message dropped: not an event envelope', { reason: decoded.reason });
      return;
    }
    const event = decoded.event;
    const log = baseLog.child({ eventId: event.id, eventType: event.type, requestId: event.correlationId });
    const handler = options.handlers[event.type];
    if (!handler) {
      log.debug('event ignored: no handler for its type');
      return;
    }
    const data = handler.data.safeParse(event.data);
    if (!data.success) {
      log.warn('event dropped: data does not match', {
        issues: data.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
      return;
    }
    const typed = { ...event, data: data.data };

    const events = createEventPublisher({ source: options.consumer, correlationId: event.correlationId, redis, log });

    try {
      if (options.idempotency === 'postgres') {
        const handled = await transaction(db(), async (tx) => {
          const { rows } = await tx.query(
            'INSERT INTO processed_events (consumer, event_id) VALUES ($1::text, $2::text) ON CONFLICT DO NOTHING RETURNING event_id',
            [options.consumer, event.id],
          );
          if (rows.length === 0) return false;
          await handler.handle(typed, { log, config, db: () => tx, redis, events });
          return true;
        });
        log.info(handled ? 'event handled' : 'event skipped: already handled');
        return;
      }

      const mark = `processed:${options.consumer}:${event.id}`;
      if (options.idempotency === 'redis' && !(await setIfAbsent(redis(), mark, new Date().toISOString(), PROCESSED_TTL_SECONDS))) {
        log.info('event skipped: already handled');
        return;
      }
      try {
        await handler.handle(typed, { log, config, db, redis, events });
      } catch (error) {
        if (options.idempotency === 'redis') {
          try {
            await redis().del([mark]);
          } catch {
            // The mark expires on its own; the event just cannot be retried before then.
          }
        }
        throw error;
      }
      log.info('event handled');
    } catch (error) {
      log.error('event handler failed', { error });
      throw error;
    }
  }
}

/** The consumer's upkeep: the outbox sweep, then its own repairs, each at most once per interval; never throws. */
async function maintain(consumer: string, maintenance: ConsumerMaintenance, context: Pick<EventContext, 'log' | 'config' | 'db' | 'redis'>): Promise<void> {
  if (maintenance.outbox) await sweepOutbox(context.db, context.redis, { ...maintenance.outbox, source: consumer, log: context.log });
  const run = maintenance.run;
  if (!run) return;
  try {
    const seconds = Math.min(Math.max(Math.ceil(maintenance.everySeconds ?? 30), 1), 3600);
    if (!(await setIfAbsent(context.redis(), `maintenance:${consumer}`, new Date().toISOString(), seconds))) return;
    await run(context);
  } catch (error) {
    context.log.error('consumer maintenance failed', { error });
  }
}

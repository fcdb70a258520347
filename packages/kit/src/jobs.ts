import { z } from 'zod';
import { Config } from './config.ts';
import { utf8 } from './encoding.ts';
import { decodeEvent, createEvent, createEventPublisher, type EventPublisher } from './events.ts';
import type { Host } from './host.ts';
import { signAccessToken } from './jwt.ts';
import { createLogger, type Logger } from './logging.ts';
import { flushOutbox, recordEvent } from './outbox.ts';
import { randomUuid } from './random.ts';
import { redisNumber, setIfAbsent, type RedisClient } from './redis.ts';
import { userEpochKey } from './revocation.ts';
import { isoTimestamp, queryOne, queryRows, sqlBool, sqlInt, sqlJson, transaction, type SqlClient } from './sql.ts';

// Durable jobs. The `jobs` table (the kit's migration 003) is the record; a message on the queue's
// channel (`<svc>-jobs`) is only a nudge that makes a worker look. Spin has no timer trigger and
// nothing survives the end of a message, so nothing here waits in the background:
// - enqueue records the row and a `job.requested` nudge in the caller's transaction (the outbox
//   publishes the nudge after commit);
// - a worker message claims due jobs one at a time (FOR UPDATE SKIP LOCKED, a lease with a fresh
//   token), runs them, and settles each: succeeded, or back to queued with exponential back-off,
//   or failed after the last attempt; `job.completed` / `job.failed` go through the outbox;
// - a running job whose lease expired is claimable again (re-driven by the next message); one on
//   its last attempt is failed instead;
// - a message stops after a budget of jobs and time and, if more are due, publishes `job.sweep` to
//   its own queue, so a backlog drains as a chain of short messages (Spin handles one message at a
//   time per Redis server: one long message would hold up every other);
// - `sweepJobs` (the admin route, and any request or message that calls it, at most once per
//   interval through Redis `SET NX EX`) fails expired last attempts and nudges when jobs are due;
// - a handler whose work goes on elsewhere (an external transcoder) throws `JobPending`: the job
//   goes back to queued, due again in n seconds, without using an attempt, until its deadline.

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Bounds on what an enqueue may ask for (the table's CHECKs hold the same). */
export const JOB_LIMITS = {
  maxAttempts: { min: 1, max: 100, default: 5 },
  leaseSeconds: { min: 1, max: 3600, default: 60 },
  backoffSeconds: { min: 0, max: 3600, default: 5 },
  delaySeconds: { min: 0, max: 7 * 24 * 3600, default: 0 },
  /** The longest wait between two attempts, whatever the back-off doubles to. */
  maxBackoffSeconds: 3600,
  payloadBytes: 64 * 1024,
  errorChars: 2000,
  /** How long a finished job (succeeded, failed, cancelled) stays readable before a sweep deletes it. */
  keepFinishedSeconds: { min: 60, max: 365 * 24 * 3600, default: 7 * 24 * 3600 },
  /** Finished jobs one sweep deletes at most (the next sweep takes the rest). */
  prunePerSweep: 500,
  /** `JobPending`: when to run the handler again, and how long a job may keep waiting in all. */
  pendingCheckSeconds: { min: 1, max: 3600, default: 5 },
  pendingDeadlineSeconds: { min: 1, max: 7 * 24 * 3600, default: 3600 },
} as const;

/** Event types the jobs API publishes. */
export const JobEventType = {
  requested: 'job.requested',
  sweep: 'job.sweep',
  completed: 'job.completed',
  failed: 'job.failed',
} as const;

export interface JobSpec {
  /** The queue, which is also the nudge channel, e.g. `render-jobs`. */
  queue: string;
  /** Picks the worker's handler, e.g. `cover_render`. */
  kind: string;
  payload: unknown;
  maxAttempts?: number;
  leaseSeconds?: number;
  /** First retry after this many seconds, doubling each attempt (at most an hour). */
  backoffSeconds?: number;
  /** Not before this many seconds from now. */
  delaySeconds?: number;
  /**
   * The user the job works for (a user id): the owner lists and cancels it through
   * `ownerJobRoutes`, its `job.completed` / `job.failed` events name them (`ownerId`, so messaging
   * tells them), and its handler may call other services as them (`JobContext.callServiceAs`).
   */
  ownerId?: string;
}

function bounded(name: keyof typeof JOB_LIMITS, value: number | undefined): number {
  const limit = JOB_LIMITS[name] as { min: number; max: number; default: number };
  const chosen = value ?? limit.default;
  if (!Number.isInteger(chosen) || chosen < limit.min || chosen > limit.max) {
    throw new RangeError(`${name} must be an integer from ${limit.min} to ${limit.max}`);
  }
  return chosen;
}

const NAME = /^[a-z][a-z0-9_.-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Records a job in the caller's transaction, with its `job.requested` nudge in the outbox: both
 * commit with the caller's change or neither exists. Returns the job id.
 */
export async function enqueueJob(
  tx: SqlClient,
  context: { events: Pick<EventPublisher, 'record'>; requestId: string },
  spec: JobSpec,
): Promise<string> {
  if (!NAME.test(spec.queue) || !NAME.test(spec.kind)) throw new RangeError('queue and kind must be short lower-case names');
  const payload = JSON.stringify(spec.payload ?? null);
  if (utf8(payload).length > JOB_LIMITS.payloadBytes) throw new RangeError(`A job payload is at most ${JOB_LIMITS.payloadBytes} bytes of JSON`);
  if (spec.ownerId !== undefined && !UUID.test(spec.ownerId)) throw new RangeError('ownerId must be a user id (a UUID)');
  const row = await queryOne(
    tx,
    z.object({ id: z.string() }),
    `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, run_after, correlation_id, owner_id)
     VALUES ($1::text, $2::text, $3::text::jsonb, $4::int8, $5::int8, $6::int8, now() + make_interval(secs => $7::int8), $8::text, $9::text::uuid)
     RETURNING id::text AS id`,
    [
      spec.queue,
      spec.kind,
      payload,
      bounded('maxAttempts', spec.maxAttempts),
      bounded('leaseSeconds', spec.leaseSeconds),
      bounded('backoffSeconds', spec.backoffSeconds),
      bounded('delaySeconds', spec.delaySeconds),
      context.requestId,
      spec.ownerId ?? null,
    ],
  );
  await context.events.record(tx, spec.queue, JobEventType.requested, row!.id, { kind: spec.kind });
  return row!.id;
}

/** A job this worker holds the lease of; `token` proves it on every later write. */
export interface ClaimedJob {
  id: string;
  queue: string;
  kind: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  token: string;
  correlationId: string;
  /** The user the job works for, or null. */
  ownerId: string | null;
  /** When the job was enqueued, in milliseconds since the epoch. */
  createdAtMs: number;
  /**
   * The job's stored `progress` (the last heartbeat's or `JobPending`'s), or null: what a handler
   * that waits on work elsewhere keeps between its runs (e.g. the external job's id).
   */
  progress: unknown;
  /** How many times the handler said `JobPending` so far, and since when (ms since the epoch, or null). */
  pendingChecks: number;
  pendingSinceMs: number | null;
}

const ClaimedRow = z.object({
  id: z.string(),
  queue: z.string(),
  kind: z.string(),
  payload: sqlJson(z.unknown()),
  attempts: sqlInt,
  max_attempts: sqlInt,
  correlation_id: z.string(),
  owner_id: z.string().nullable(),
  created_ms: sqlInt,
  progress: sqlJson(z.unknown()).nullable(),
  pending_checks: sqlInt,
  pending_since_ms: sqlInt.nullable(),
});

/** What is claimable: due queued jobs, and running ones whose lease expired (their worker is gone). */
const CLAIMABLE = `((state = 'queued' AND run_after <= now()) OR (state = 'running' AND lease_expires_at <= now()))
      AND attempts < max_attempts`;

/**
 * Takes the next claimable job of `queue` (oldest due first) with a lease of the job's
 * `lease_seconds`; two workers never get the same job (SKIP LOCKED), and a re-driven job gets a
 * new token, so the worker that lost it can no longer settle it. Null when nothing is due.
 */
export async function claimJob(db: SqlClient, queue: string): Promise<ClaimedJob | null> {
  const token = randomUuid();
  const row = await queryOne(
    db,
    ClaimedRow,
    `UPDATE jobs
        SET state = 'running', attempts = attempts + 1, lease_token = $2::text,
            lease_expires_at = now() + make_interval(secs => lease_seconds), updated_at = now()
      WHERE id = (SELECT id FROM jobs
                   WHERE queue = $1::text AND ${CLAIMABLE}
                   ORDER BY run_after, created_at
                   LIMIT 1
                   FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id, queue, kind, payload::text AS payload, attempts, max_attempts, correlation_id, owner_id::text AS owner_id,
                (extract(epoch FROM created_at) * 1000)::int8 AS created_ms, progress::text AS progress, pending_checks,
                (extract(epoch FROM pending_since) * 1000)::int8 AS pending_since_ms`,
    [queue, token],
  );
  if (!row) return null;
  return {
    id: row.id,
    queue: row.queue,
    kind: row.kind,
    payload: row.payload,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    token,
    correlationId: row.correlation_id,
    ownerId: row.owner_id,
    createdAtMs: row.created_ms,
    progress: row.progress ?? null,
    pendingChecks: row.pending_checks,
    pendingSinceMs: row.pending_since_ms,
  };
}

/**
 * Extends the lease by the job's `lease_seconds` and stores `progress` (any JSON) if given.
 * False when the lease is no longer this worker's (cancelled, or re-driven elsewhere): stop work.
 */
export async function heartbeatJob(db: SqlClient, job: Pick<ClaimedJob, 'id' | 'token'>, progress?: unknown): Promise<boolean> {
  const rows = await queryRows(
    db,
    z.object({ id: z.string() }),
    `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => lease_seconds),
                     progress = COALESCE($3::text::jsonb, progress), updated_at = now()
      WHERE id = $1::text::uuid AND lease_token = $2::text AND state = 'running'
      RETURNING id::text AS id`,
    [job.id, job.token, progress === undefined ? null : JSON.stringify(progress)],
  );
  return rows.length === 1;
}

/** Marks the job succeeded with `result` and records `job.completed` on `eventsChannel`; false if the lease was lost. */
export async function completeJob(db: SqlClient, job: ClaimedJob, result: unknown, eventsChannel: string): Promise<boolean> {
  return transaction(db, async (tx) => {
    const rows = await queryRows(
      tx,
      z.object({ attempts: sqlInt }),
      `UPDATE jobs SET state = 'succeeded', result = $3::text::jsonb, lease_token = NULL, lease_expires_at = NULL,
                       finished_at = now(), updated_at = now()
        WHERE id = $1::text::uuid AND lease_token = $2::text AND state = 'running'
        RETURNING attempts`,
      [job.id, job.token, JSON.stringify(result ?? null)],
    );
    if (rows.length === 0) return false;
    await recordEvent(tx, {
      channel: eventsChannel,
      type: JobEventType.completed,
      subject: job.id,
      data: { id: job.id, queue: job.queue, kind: job.kind, attempts: rows[0]!.attempts, result: result ?? null, ...ownerOf(job.ownerId) },
      correlationId: job.correlationId,
    });
    return true;
  });
}

/** `ownerId` in a job event's data when the job has an owner (messaging notifies them). */
const ownerOf = (ownerId: string | null | undefined) => (ownerId ? { ownerId } : {});

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > JOB_LIMITS.errorChars ? `${text.slice(0, JOB_LIMITS.errorChars - 1)}…` : text;
}

/**
 * Settles a failed attempt: back to `queued` after `backoff_seconds * 2^(attempt-1)` (at most an
 * hour), or `failed` with `job.failed` recorded when this was the last attempt or `permanent`.
 * Null if the lease was lost.
 */
export async function failJob(
  db: SqlClient,
  job: ClaimedJob,
  error: unknown,
  eventsChannel: string,
  options: { permanent?: boolean } = {},
): Promise<{ state: 'queued' | 'failed'; runAfter: string } | null> {
  const message = errorText(error);
  return transaction(db, async (tx) => {
    const row = await queryOne(
      tx,
      z.object({ state: z.enum(['queued', 'failed']), attempts: sqlInt, run_after: z.string() }),
      `UPDATE jobs SET
              state = CASE WHEN $4::bool OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
              run_after = CASE WHEN $4::bool OR attempts >= max_attempts THEN run_after
                               ELSE now() + make_interval(secs => LEAST(backoff_seconds * power(2, attempts - 1), ${JOB_LIMITS.maxBackoffSeconds})) END,
              finished_at = CASE WHEN $4::bool OR attempts >= max_attempts THEN now() END,
              last_error = $3::text, lease_token = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1::text::uuid AND lease_token = $2::text AND state = 'running'
        RETURNING state, attempts, ${isoTimestamp('run_after')} AS run_after`,
      [job.id, job.token, message, options.permanent === true],
    );
    if (!row) return null;
    if (row.state === 'failed') {
      await recordEvent(tx, {
        channel: eventsChannel,
        type: JobEventType.failed,
        subject: job.id,
        data: { id: job.id, queue: job.queue, kind: job.kind, attempts: row.attempts, error: message, ...ownerOf(job.ownerId) },
        correlationId: job.correlationId,
      });
    }
    return { state: row.state, runAfter: row.run_after };
  });
}

export interface JobPendingOptions {
  /** Run the handler again after this many seconds (1–3600, default 5; rounded up and clamped). */
  checkAgainSeconds?: number;
  /**
   * How long the job may keep waiting in all, counted from its first `JobPending` (1 s – 7 days,
   * default an hour; clamped). The last check is due at the deadline; pending again then fails the job.
   */
  deadlineSeconds?: number;
  /**
   * Stored as the job's `progress` (any JSON; the stored one stays when omitted): what the handler
   * needs on its next run (`ctx.job.progress`) and what the job's owner sees meanwhile.
   */
  progress?: unknown;
  /** The job's error when the deadline passes (default: a `PermanentJobError` saying how long it waited). */
  deadlineError?: unknown;
}

const clampSeconds = (name: 'pendingCheckSeconds' | 'pendingDeadlineSeconds', value: number | undefined) => {
  const { min, max, default: fallback } = JOB_LIMITS[name];
  return Number.isFinite(value) ? Math.min(Math.max(Math.ceil(value!), min), max) : fallback;
};

/**
 * Thrown by a handler whose work goes on elsewhere (an external transcoder): "not done yet, check
 * again in n seconds". The job goes back to `queued`, due after `checkAgainSeconds`, with
 * `progress` stored and the attempt given back — waiting is not failing, so a long wait never
 * uses up the retries a real failure needs. Spin has no timer: the job is re-run by whatever nudges
 * the queue next (the platform ticker's `job.sweep`, a `wakeJob`, the rate-limited sweeps), so a
 * check may come later than asked, never earlier. Past `deadlineSeconds` from the first
 * `JobPending` the job fails at once with `deadlineError`.
 */
export class JobPending extends Error {
  readonly checkAgainSeconds: number;
  readonly deadlineSeconds: number;
  readonly progress: unknown;
  readonly deadlineError: unknown;
  constructor(reason: string, options: JobPendingOptions = {}) {
    super(reason);
    this.name = 'JobPending';
    this.checkAgainSeconds = clampSeconds('pendingCheckSeconds', options.checkAgainSeconds);
    this.deadlineSeconds = clampSeconds('pendingDeadlineSeconds', options.deadlineSeconds);
    this.progress = options.progress;
    this.deadlineError = options.deadlineError ?? new PermanentJobError(`still waiting after ${this.deadlineSeconds} s: ${reason}`);
  }
}

/**
 * Thrown by a handler that did one bounded step of long work and wants the next step now, in a new
 * message: the job goes back to `queued`, due at once, with `progress` (what the next step needs)
 * stored and the attempt given back, and the worker ends its message there and nudges its queue.
 * The next step therefore runs on a fresh instance. That is the point: the engine does not
 * reliably free memory within a message (Decision 6), so work over gigabytes is bounded only if cut into
 * steps that each touch a bounded number of bytes. Like `JobPending`, the steps share a deadline
 * counted from the first (`deadlineSeconds`, default an hour).
 */
export class JobContinues extends JobPending {
  override readonly checkAgainSeconds = 0;
  constructor(reason: string, options: Omit<JobPendingOptions, 'checkAgainSeconds'> = {}) {
    super(reason, { ...options, deadlineError: options.deadlineError ?? new PermanentJobError(`not finished after ${clampSeconds('pendingDeadlineSeconds', options.deadlineSeconds)} s of steps: ${reason}`) });
    this.name = 'JobContinues';
  }
}

/**
 * Settles a run that ended in `JobPending`: back to `queued` with the attempt given back, due after
 * `checkAgainSeconds` (never past the deadline), `progress` stored; or, when the deadline counted
 * from the first pending has passed, `failed` with `deadlineError` and `job.failed`. Null if the
 * lease was lost.
 */
export async function deferJob(
  db: SqlClient,
  job: ClaimedJob,
  pending: JobPending,
  eventsChannel: string,
): Promise<{ state: 'queued'; runAfter: string; pendingChecks: number } | { state: 'failed'; runAfter: string } | null> {
  const row = await queryOne(
    db,
    z.object({ run_after: z.string(), pending_checks: sqlInt }),
    `UPDATE jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0),
            run_after = LEAST(now() + make_interval(secs => $3::int8), COALESCE(pending_since, now()) + make_interval(secs => $4::int8)),
            pending_since = COALESCE(pending_since, now()), pending_checks = pending_checks + 1,
            progress = COALESCE($5::text::jsonb, progress),
            lease_token = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE id = $1::text::uuid AND lease_token = $2::text AND state = 'running'
        AND (pending_since IS NULL OR pending_since + make_interval(secs => $4::int8) > now())
      RETURNING ${isoTimestamp('run_after')} AS run_after, pending_checks`,
    [job.id, job.token, pending.checkAgainSeconds, pending.deadlineSeconds, pending.progress === undefined ? null : JSON.stringify(pending.progress)],
  );
  if (row) return { state: 'queued', runAfter: row.run_after, pendingChecks: row.pending_checks };
  // Past the deadline (or the lease is gone, which failJob finds out with the same token check).
  const failed = await failJob(db, job, pending.deadlineError, eventsChannel, { permanent: true });
  return failed && { state: 'failed', runAfter: failed.runAfter };
}

/**
 * The mark `wakeJob` leaves on a job that is running when it is woken — a check under way when the
 * work it waits on finishes, so that check would park it again until its next one and the news
 * would wait out a whole interval. The attempt that parks it takes the mark and wakes it
 * (`takeWakeMark`, in the worker after `deferJob`). An hour bounds a mark no attempt takes.
 */
export const jobWakeKey = (id: string) => `jobs:wake:${id}`;
const WAKE_MARK_SECONDS = 3600;

/**
 * Makes a queued job due now and nudges its queue (`job.requested`), for whatever learns that the
 * work a pending job waits on has finished (an external service's callback) — sooner than its next
 * check. A running job is marked instead (`jobWakeKey`) and due again as soon as its attempt parks
 * it. False when the job is neither queued nor running in `queue` (finished, unknown): nothing changes.
 */
export async function wakeJob(
  db: SqlClient,
  redis: RedisClient,
  options: { queue: string; id: string; source: string; correlationId: string; log: Logger },
): Promise<boolean> {
  if (!UUID.test(options.id)) return false;
  if (await makeDueNow(db, redis, options)) return true;
  const running = await queryRows(
    db,
    z.object({ id: z.string() }),
    `SELECT id::text AS id FROM jobs WHERE id = $1::text::uuid AND queue = $2::text AND state = 'running'`,
    [options.id, options.queue],
  );
  if (running.length === 0) return false;
  await redis.execute('SET', [jobWakeKey(options.id), '1', 'EX', WAKE_MARK_SECONDS]);
  // Parked between the two statements above, before the mark existed: the attempt found no mark,
  // so it is woken here. Parked after: the attempt finds the mark.
  await makeDueNow(db, redis, options);
  return true;
}

/** After `deferJob` queued `id` again: true (and the mark gone) when a `wakeJob` came during the attempt. */
export async function takeWakeMark(redis: RedisClient, id: string): Promise<boolean> {
  return (await redis.del([jobWakeKey(id)])) > 0;
}

/** A queued job due now, and its queue nudged; false when it is not queued. */
async function makeDueNow(
  db: SqlClient,
  redis: RedisClient,
  options: { queue: string; id: string; source: string; correlationId: string; log: Logger },
): Promise<boolean> {
  const rows = await queryRows(
    db,
    z.object({ id: z.string() }),
    `UPDATE jobs SET run_after = LEAST(run_after, now()), updated_at = now()
      WHERE id = $1::text::uuid AND queue = $2::text AND state = 'queued'
      RETURNING id::text AS id`,
    [options.id, options.queue],
  );
  if (rows.length === 0) return false;
  const event = createEvent({ type: JobEventType.requested, source: options.source, subject: options.id, data: { woken: true }, correlationId: options.correlationId });
  try {
    await redis.publish(options.queue, utf8(JSON.stringify(event)));
  } catch (error) {
    // The job is due: the next nudge or sweep runs it.
    options.log.error('job wake-up nudge not published', { queue: options.queue, id: options.id, error });
  }
  return true;
}

/** Cancels the queued or running jobs `column` = `value` picks; their ids. */
async function cancelWhere(db: SqlClient, column: 'id' | 'owner_id', value: string): Promise<string[]> {
  if (!UUID.test(value)) return [];
  const rows = await queryRows(
    db,
    z.object({ id: z.string() }),
    `UPDATE jobs SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE ${column} = $1::text::uuid AND state IN ('queued', 'running')
      RETURNING id::text AS id`,
    [value],
  );
  return rows.map((row) => row.id);
}

/** Cancels a queued or running job (a running one learns it at its next heartbeat); false if it was neither. */
export async function cancelJob(db: SqlClient, id: string): Promise<boolean> {
  return (await cancelWhere(db, 'id', id)).length === 1;
}

/** Cancels every queued or running job of `ownerId` (e.g. on `user.deleted`); returns how many. */
export async function cancelOwnerJobs(db: SqlClient, ownerId: string): Promise<number> {
  return (await cancelWhere(db, 'owner_id', ownerId)).length;
}

export const JobView = z.object({
  id: z.string(),
  queue: z.string(),
  kind: z.string(),
  state: z.enum(JOB_STATES),
  /** The user the job works for, or null. */
  ownerId: z.string().nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  progress: z.unknown(),
  result: z.unknown(),
  lastError: z.string().nullable(),
  runAfter: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type JobView = z.output<typeof JobView>;

const JobRow = z.object({
  id: z.string(),
  queue: z.string(),
  kind: z.string(),
  state: z.enum(JOB_STATES),
  owner_id: z.string().nullable(),
  attempts: sqlInt,
  max_attempts: sqlInt,
  progress: sqlJson(z.unknown()).nullable(),
  result: sqlJson(z.unknown()).nullable(),
  last_error: z.string().nullable(),
  run_after: z.string(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  /** `created_at` to the microsecond, the key of an owner's pages. */
  sort_key: z.string(),
});
type JobRow = z.output<typeof JobRow>;

const JOB_COLUMNS = `id::text AS id, queue, kind, state, owner_id::text AS owner_id, attempts, max_attempts,
       progress::text AS progress, result::text AS result, last_error,
       ${isoTimestamp('run_after')} AS run_after, ${isoTimestamp('created_at')} AS created_at, ${isoTimestamp('finished_at')} AS finished_at,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS sort_key`;

function jobView(row: JobRow): JobView {
  return {
    id: row.id,
    queue: row.queue,
    kind: row.kind,
    state: row.state,
    ownerId: row.owner_id,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    result: row.result,
    lastError: row.last_error,
    runAfter: row.run_after,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** One job as callers may see it (no lease token), or null. */
export async function getJob(db: SqlClient, id: string): Promise<JobView | null> {
  if (!UUID.test(id)) return null;
  const row = await queryOne(db, JobRow, `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1::text::uuid`, [id]);
  return row ? jobView(row) : null;
}

export interface OwnerJobsFilter {
  ownerId: string;
  queue: string;
  kind?: string | undefined;
  state?: JobState | undefined;
  /** Continue after this job (the last of the previous page): its `created_at` to the microsecond and id. */
  after?: { sortKey: string; id: string } | null | undefined;
  limit: number;
}

/**
 * An owner's jobs of one queue, newest first, `limit + 1` rows (the extra one says a next page
 * exists) each with the sort key a cursor continues from. Index: kit migration 005.
 */
export async function listOwnerJobs(db: SqlClient, query: OwnerJobsFilter): Promise<(JobView & { sortKey: string })[]> {
  const rows = await queryRows(
    db,
    JobRow,
    `SELECT ${JOB_COLUMNS} FROM jobs
      WHERE owner_id = $1::text::uuid AND queue = $2::text
        AND ($3::text IS NULL OR kind = $3::text)
        AND ($4::text IS NULL OR state = $4::text)
        AND ($5::text IS NULL OR (created_at, id) < (($5::text || 'Z')::timestamptz, $6::text::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $7::int8`,
    [query.ownerId, query.queue, query.kind ?? null, query.state ?? null, query.after?.sortKey ?? null, query.after?.id ?? null, query.limit + 1],
  );
  return rows.map((row) => ({ ...jobView(row), sortKey: row.sort_key }));
}

/**
 * Fails (with `job.failed` in the outbox) up to 100 running jobs of `queue` whose lease expired on
 * their last attempt: nobody may claim them again. Returns how many.
 */
export async function failExpiredJobs(db: SqlClient, queue: string, eventsChannel: string): Promise<number> {
  return transaction(db, async (tx) => {
    const rows = await queryRows(
      tx,
      z.object({ id: z.string(), kind: z.string(), attempts: sqlInt, last_error: z.string(), correlation_id: z.string(), owner_id: z.string().nullable() }),
      `UPDATE jobs SET state = 'failed', last_error = 'lease expired on the last attempt', lease_token = NULL,
                       lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE id IN (SELECT id FROM jobs
                      WHERE queue = $1::text AND state = 'running' AND lease_expires_at <= now() AND attempts >= max_attempts
                      LIMIT 100
                      FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id, kind, attempts, last_error, correlation_id, owner_id::text AS owner_id`,
      [queue],
    );
    for (const row of rows) {
      await recordEvent(tx, {
        channel: eventsChannel,
        type: JobEventType.failed,
        subject: row.id,
        data: { id: row.id, queue, kind: row.kind, attempts: row.attempts, error: row.last_error, ...ownerOf(row.owner_id) },
        correlationId: row.correlation_id,
      });
    }
    return rows.length;
  });
}

/** True when `queue` has a job a worker could claim now. */
export async function hasClaimableJobs(db: SqlClient, queue: string): Promise<boolean> {
  const row = await queryOne(db, z.object({ due: sqlBool }), `SELECT EXISTS (SELECT 1 FROM jobs WHERE queue = $1::text AND ${CLAIMABLE}) AS due`, [queue]);
  return row?.due === true;
}

export interface SweepOptions {
  queue: string;
  eventsChannel: string;
  /** The envelope's source, e.g. the service or worker name. */
  source: string;
  correlationId: string;
  log: Logger;
  /** Sweep only if no sweep of this queue ran in the last `seconds` (Redis `SET NX EX`). */
  atMostEverySeconds?: number;
  /** Finished jobs older than this are deleted (`JOB_LIMITS.keepFinishedSeconds`, default 7 days). */
  keepFinishedSeconds?: number;
}

export interface SweepResult {
  /** False when skipped: another sweep ran within the interval. */
  swept: boolean;
  /** Expired last attempts marked failed. */
  failed: number;
  /** Whether a `job.sweep` nudge was published because jobs are due. */
  nudged: boolean;
  /** Finished jobs past their retention deleted. */
  pruned: number;
}

/** The rate-limited sweep's mark: set (`NX EX`) by the sweep that runs, for the interval. */
export const jobsSweepKey = (queue: string) => `jobs:sweep:${queue}`;

/**
 * The sweep: fails expired last attempts, publishes their `job.failed` events, and nudges the
 * queue's workers with `job.sweep` when jobs are due (new, backed off and now due, or with an
 * expired lease). Runs from anything that runs: the admin route, a worker's messages, a request.
 * `db` is called only when the sweep runs: a request that finds the sweep done opens no connection.
 */
export async function sweepJobs(db: () => SqlClient, redis: () => RedisClient, options: SweepOptions): Promise<SweepResult> {
  if (options.atMostEverySeconds !== undefined) {
    const seconds = Math.min(Math.max(Math.ceil(options.atMostEverySeconds), 1), 3600);
    if (!(await setIfAbsent(redis(), jobsSweepKey(options.queue), new Date().toISOString(), seconds))) {
      return { swept: false, failed: 0, nudged: false, pruned: 0 };
    }
  }
  const database = db();
  const failed = await failExpiredJobs(database, options.queue, options.eventsChannel);
  const pruned = await pruneFinishedJobs(database, options.queue, options.keepFinishedSeconds ?? JOB_LIMITS.keepFinishedSeconds.default);
  if (pruned > 0) options.log.info('finished jobs past their retention deleted', { queue: options.queue, pruned });
  if (failed > 0) {
    options.log.warn('jobs failed: lease expired on the last attempt', { queue: options.queue, failed });
    await flushOutbox(database, redis, { source: options.source, log: options.log });
  }
  const nudged = await hasClaimableJobs(database, options.queue);
  if (nudged) await publishSweepNudge(redis(), options);
  return { swept: true, failed, nudged, pruned };
}

/**
 * Deletes up to `JOB_LIMITS.prunePerSweep` jobs of `queue` that finished more than `keepSeconds`
 * ago, oldest first, so the table stays bounded without anyone calling an admin route. Returns how many.
 */
export async function pruneFinishedJobs(db: SqlClient, queue: string, keepSeconds: number): Promise<number> {
  const { min, max } = JOB_LIMITS.keepFinishedSeconds;
  if (!Number.isInteger(keepSeconds) || keepSeconds < min || keepSeconds > max) throw new RangeError(`keepFinishedSeconds must be an integer from ${min} to ${max}`);
  const rows = await queryRows(
    db,
    z.object({ id: z.string() }),
    `DELETE FROM jobs
      WHERE id IN (SELECT id FROM jobs
                    WHERE queue = $1::text AND finished_at IS NOT NULL AND finished_at < now() - $2::int8 * interval '1 second'
                    ORDER BY finished_at
                    LIMIT $3::int8
                    FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id`,
    [queue, keepSeconds, JOB_LIMITS.prunePerSweep],
  );
  return rows.length;
}

async function publishSweepNudge(redis: RedisClient, options: Pick<SweepOptions, 'queue' | 'source' | 'correlationId' | 'log'>): Promise<void> {
  const event = createEvent({ type: JobEventType.sweep, source: options.source, subject: options.queue, data: {}, correlationId: options.correlationId });
  try {
    await redis.publish(options.queue, utf8(JSON.stringify(event)));
  } catch (error) {
    // A lost nudge only delays the work: the next message or sweep finds the jobs.
    options.log.error('job.sweep nudge not published', { queue: options.queue, error });
  }
}

/** What a job's handler gets. */
export interface JobContext {
  job: Omit<ClaimedJob, 'token' | 'payload'>;
  log: Logger;
  config: Config;
  db(): SqlClient;
  redis(): RedisClient;
  events: Pick<EventPublisher, 'publish'>;
  /** Extends the lease (and stores `progress`); false means the job was cancelled or taken over: stop. */
  heartbeat(progress?: unknown): Promise<boolean>;
  /**
   * Calls another service as the job's owner (e.g. storage, which then checks the owner's access
   * and quota): `fetch` with a bearer token for the owner, role `user` only, that lives
   * `DELEGATED_TOKEN_TTL_SECONDS` and names this worker in its `act` claim. Throws for a job
   * without an owner.
   */
  callServiceAs(url: string, init?: RequestInit): Promise<Response>;
}

/** How long a token a worker makes for a job's owner lives: one call, with room for a slow one. */
export const DELEGATED_TOKEN_TTL_SECONDS = 120;

/** Thrown by `callServiceAs` when the owner revoked their tokens after the job was enqueued. */
export class OwnerRevokedError extends Error {
  constructor() {
    super("the job's owner revoked their sign-ins after it was enqueued; it no longer acts for them");
    this.name = 'OwnerRevokedError';
  }
}

/**
 * A failure no retry can fix (broken or missing input, a refused request): thrown by a handler, it
 * fails the job at once, `job.failed` recorded, instead of backing off. A service's own error class
 * can say the same with a `permanent` property that is `true` (see `isPermanentJobError`).
 */
export class PermanentJobError extends Error {
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** True for what a handler threw to end its job now: any error whose `permanent` is `true` (OwnerRevokedError included). */
export function isPermanentJobError(error: unknown): boolean {
  return error instanceof OwnerRevokedError || (typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true);
}

/**
 * `fetch` as the job's owner (JobContext.callServiceAs). A token minted now would be newer than a
 * revocation epoch (logout everywhere, suspension, deletion) set after the job was enqueued, and
 * so pass revocation: the user's epoch is checked against the job's creation instead, once per job.
 */
function ownerFetch(claimed: ClaimedJob, consumer: string, config: Config, redis: () => RedisClient): JobContext['callServiceAs'] {
  let checked: Promise<void> | undefined;
  const stillActsForOwner = async (ownerId: string) => {
    const epoch = redisNumber((await redis().execute('GET', [userEpochKey(ownerId)]))[0]);
    if (epoch !== null && epoch >= claimed.createdAtMs) throw new OwnerRevokedError();
  };
  return async (url, init = {}) => {
    if (claimed.ownerId === null) throw new Error('this job has no owner to act for');
    await (checked ??= stillActsForOwner(claimed.ownerId));
    const token = signAccessToken(
      { sub: claimed.ownerId, roles: ['user'], actor: consumer },
      { secret: config.authSecret, ttlSeconds: DELEGATED_TOKEN_TTL_SECONDS },
    );
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    headers.set('x-request-id', claimed.correlationId);
    return fetch(url, { ...init, headers });
  };
}

export interface JobHandler<Schema extends z.ZodType> {
  /** The payload's schema; a payload that does not match fails the job at once (retrying cannot fix it). */
  payload: Schema;
  /**
   * Does the work and returns the result (JSON) stored on the job and sent with `job.completed`.
   * Throwing retries with back-off, unless the error is permanent (`PermanentJobError`, or any
   * error whose `permanent` is `true`): then the job fails at once. Throwing `JobPending` says the
   * work goes on elsewhere: the job is run again later without using an attempt.
   */
  run(payload: z.output<Schema>, context: JobContext): Promise<unknown>;
}

/** Keeps the type link between a handler's payload schema and its `run`. */
export function job<Schema extends z.ZodType>(payload: Schema, run: JobHandler<Schema>['run']): JobHandler<Schema> {
  return { payload, run };
}

/** How long a message's hand-on mark is kept: longer than any replica takes to reach it. */
const HAND_ON_MARK_SECONDS = 600;

export interface JobWorkerOptions {
  /** The worker component, e.g. `render-worker`; the source of its events and its log lines. */
  consumer: string;
  /** The queue it works, also the channel its trigger listens on, e.g. `render-jobs`. */
  queue: string;
  /** Where `job.completed` / `job.failed` go, e.g. `render-events`. */
  eventsChannel: string;
  handlers: Record<string, JobHandler<z.ZodType>>;
  host: Host;
  /** Jobs one message runs at most before handing on with a `job.sweep` nudge (1–100, default 10). */
  maxJobsPerMessage?: number;
  /** No new job is started after this many milliseconds of one message (default 10 s). */
  messageBudgetMs?: number;
  /** The rate-limited sweep each message also runs (default every 30 s). */
  sweepEverySeconds?: number;
}

/**
 * The Redis-trigger entry of a job worker (`export const inboundRedis = createJobWorker({...})` from
 * `@authorworks/kit/spin`). Every `job.requested` or `job.sweep` message makes it claim and run
 * due jobs of its queue — not just the one the message names — until none is due or its budget is
 * spent, then hand on to itself if more are due. Other messages are ignored.
 */
export function createJobWorker(options: JobWorkerOptions): { handleMessage(message: Uint8Array): Promise<void> } {
  const maxJobs = Math.min(Math.max(Math.floor(options.maxJobsPerMessage ?? 10), 1), 100);
  const budgetMs = Math.min(Math.max(options.messageBudgetMs ?? 10_000, 0), 60_000);
  return {
    async handleMessage(message) {
      const config = new Config(options.host.variables);
      const baseLog = createLogger({ level: config.logLevel, fields: { component: options.consumer, queue: options.queue } });
      const decoded = decodeEvent(message);
      if (!decoded.ok) {
        baseLog.warn('message dropped: not an event envelope', { reason: decoded.reason });
        return;
      }
      if (decoded.event.type !== JobEventType.requested && decoded.event.type !== JobEventType.sweep) {
        baseLog.debug('message ignored: not a job nudge', { eventType: decoded.event.type });
        return;
      }
      const correlationId = decoded.event.correlationId;
      let database: SqlClient | undefined;
      let redisClient: RedisClient | undefined;
      const db = () => (database ??= options.host.openPostgres(config.dbConnection));
      const redis = () => (redisClient ??= options.host.openRedis(config.redisAddress));
      const log = baseLog.child({ requestId: correlationId });

      const sweep = { queue: options.queue, eventsChannel: options.eventsChannel, source: options.consumer, correlationId, log };
      await sweepJobs(db, redis, { ...sweep, atMostEverySeconds: options.sweepEverySeconds ?? 30 });

      const started = Date.now();
      let ran = 0;
      let continues = false;
      while (ran < maxJobs && Date.now() - started <= budgetMs) {
        const claimed = await claimJob(db(), options.queue);
        if (!claimed) break;
        ran++;
        const outcome = await runClaimedJob(claimed, { options, config, log, db, redis });
        // A step of long work continues in the next message, on a fresh instance (JobContinues).
        if (outcome === 'continues') {
          continues = true;
          break;
        }
      }
      await flushOutbox(db(), redis, { source: options.consumer, log });
      // Out of budget with work left: a short message now, and the rest in the next ones. Every
      // replica gets every message, so only the first to finish this message hands on (SET NX on
      // its envelope id): a chain stays one nudge long instead of doubling with each generation.
      if (
        ran > 0 &&
        (continues || ran >= maxJobs || Date.now() - started > budgetMs) &&
        (await hasClaimableJobs(db(), options.queue)) &&
        (await setIfAbsent(redis(), `jobs:hand-on:${options.queue}:${decoded.event.id}`, options.consumer, HAND_ON_MARK_SECONDS))
      ) {
        await publishSweepNudge(redis(), sweep);
      }
    },
  };
}

async function runClaimedJob(
  claimed: ClaimedJob,
  env: { options: JobWorkerOptions; config: Config; log: Logger; db: () => SqlClient; redis: () => RedisClient },
): Promise<'settled' | 'continues'> {
  const { options } = env;
  const log = env.log.child({ jobId: claimed.id, jobKind: claimed.kind, attempt: claimed.attempt });
  const handler = options.handlers[claimed.kind];
  if (!handler) {
    await failJob(env.db(), claimed, new Error(`no handler for job kind ${claimed.kind}`), options.eventsChannel, { permanent: true });
    log.error('job failed: no handler for its kind');
    return 'settled';
  }
  const payload = handler.payload.safeParse(claimed.payload);
  if (!payload.success) {
    const issues = payload.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    await failJob(env.db(), claimed, new Error(`payload does not match: ${issues}`), options.eventsChannel, { permanent: true });
    log.error('job failed: payload does not match', { issues });
    return 'settled';
  }
  const context: JobContext = {
    job: {
      id: claimed.id,
      queue: claimed.queue,
      kind: claimed.kind,
      attempt: claimed.attempt,
      maxAttempts: claimed.maxAttempts,
      correlationId: claimed.correlationId,
      ownerId: claimed.ownerId,
      createdAtMs: claimed.createdAtMs,
      progress: claimed.progress,
      pendingChecks: claimed.pendingChecks,
      pendingSinceMs: claimed.pendingSinceMs,
    },
    log,
    config: env.config,
    db: env.db,
    redis: env.redis,
    events: createEventPublisher({ source: options.consumer, correlationId: claimed.correlationId, redis: env.redis, log }),
    heartbeat: (progress) => heartbeatJob(env.db(), claimed, progress),
    callServiceAs: ownerFetch(claimed, options.consumer, env.config, env.redis),
  };
  let result: unknown;
  try {
    result = await handler.run(payload.data, context);
  } catch (error) {
    if (error instanceof JobPending) {
      const deferred = await deferJob(env.db(), claimed, error, options.eventsChannel);
      if (deferred === null) log.warn('job pending after its lease was lost (cancelled or re-driven)');
      else if (deferred.state === 'failed') log.error('job failed: still pending at its deadline', { reason: error.message, error: errorText(error.deadlineError) });
      else if (error instanceof JobContinues) {
        log.info('job step done; the next runs in a new message', { reason: error.message, steps: deferred.pendingChecks });
        return 'continues';
      } else if (await takeWakeMark(env.redis(), claimed.id)) {
        log.info('job pending, but woken during this check: due again now', { reason: error.message, checks: deferred.pendingChecks });
        // Queued by the park just now: due at once and nudged (not `wakeJob`, which would mark it
        // again if another worker had claimed it meanwhile).
        await makeDueNow(env.db(), env.redis(), { queue: claimed.queue, id: claimed.id, source: options.consumer, correlationId: claimed.correlationId, log });
      } else log.info('job pending; checking again later', { reason: error.message, runAfter: deferred.runAfter, checks: deferred.pendingChecks });
      return 'settled';
    }
    // Retrying cannot fix broken input, nor give back an owner's revoked sign-ins.
    const permanent = isPermanentJobError(error);
    const settled = await failJob(env.db(), claimed, error, options.eventsChannel, { permanent });
    if (settled === null) log.warn('job attempt failed after its lease was lost', { error: errorText(error) });
    else if (settled.state === 'failed') log.error(permanent ? 'job failed: retrying cannot fix it' : 'job failed: no attempts left', { error: errorText(error) });
    else log.warn('job attempt failed; retrying later', { error: errorText(error), runAfter: settled.runAfter });
    return 'settled';
  }
  if (await completeJob(env.db(), claimed, result, options.eventsChannel)) log.info('job done');
  else log.warn('job finished after its lease was lost (cancelled or re-driven); result dropped');
  return 'settled';
}

// What the jobs tests share: the demo app's manifest and database, a caller, and Node-side access
// to the jobs table through the kit's own functions (playing a worker that dies, or a racer).
import { fileURLToPath } from 'node:url';
import { JobView, type SqlClient } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, type TestUser } from '@authorworks/spin-local/testing';
import { z } from 'zod';

export const MANIFEST = fileURLToPath(new URL('../spin.toml', import.meta.url));
export const DB = process.env.SPIN_VARIABLE_JOBS_DEMO_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_kit_jobs_test';
export const AUTH_SECRET = 'kit-jobs-test-secret-0123456789abcdef';
export const BASE = '/v1/jobs-demo';
export const realServers = Boolean(process.env.DB_CONNECTION && process.env.REDIS_ADDRESS);

export const user = signIn(AUTH_SECRET);
export const admin = signIn(AUTH_SECRET, ['admin']);

const Enqueued = z.object({ ids: z.array(z.string()) });

export interface EnqueueRequest {
  kind: 'flaky' | 'slow' | 'quick' | 'whoami' | 'waits';
  payload: Record<string, unknown>;
  owned?: boolean;
  count?: number;
  maxAttempts?: number;
  leaseSeconds?: number;
  backoffSeconds?: number;
}

export function demoClient(app: TestApp) {
  const call = serviceCaller(app, BASE);
  return {
    call,
    enqueue: async (request: EnqueueRequest, as: TestUser = user) => (await expectJson(call('POST', '/jobs', { as, body: request }), 201, Enqueued)).ids,
    job: (id: string) => expectJson(call('GET', `/admin/jobs/${id}`, { as: admin }), 200, JobView),
    sweep: () => expectJson(call('POST', '/admin/jobs/sweep', { as: admin }), 200, z.object({ swept: z.boolean(), failed: z.number(), nudged: z.boolean(), pruned: z.number() })),
  };
}

/** The app's database as the kit's `SqlClient`, for calling the kit's job functions from Node. */
export async function kitDatabase(app: TestApp): Promise<SqlClient & { close(): Promise<void> }> {
  const client = await app.sql(DB);
  return { query: (sql, params = []) => client.query(sql, [...params]), close: () => client.close() };
}

export async function rows(app: TestApp, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const db = await app.sql(DB);
  try {
    return (await db.query(sql, params)).rows;
  } finally {
    await db.close();
  }
}

/**
 * Sweeps (the admin route) until `done` holds, for jobs waiting out a back-off or an expired lease:
 * nothing else nudges the worker meanwhile. Gives up after `rounds` sweeps.
 */
export async function sweepUntil(app: TestApp, done: () => Promise<boolean>, rounds = 120): Promise<void> {
  const client = demoClient(app);
  for (let round = 0; round < rounds; round++) {
    await app.waitForIdle();
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await client.sweep();
  }
  throw new Error(`still not done after ${rounds} sweeps`);
}

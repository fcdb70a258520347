// The video service with the storage service it reads from, on the local Spin runtime with both
// databases migrated (embedded PGlite, Redis and S3 unless DB_CONNECTION / REDIS_ADDRESS /
// MINIO_ENDPOINT name real servers), and the steps the video tests share.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StoredFile } from '@authorworks/domain';
import { JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type TestUser } from '@authorworks/spin-local/testing';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'video-tests-secret-0123456789abcdef-xyz';
export const VIDEO_DB = 'postgres://postgres@127.0.0.1:5432/authorworks_video';
/** Low enough for one test to reach, above what any other test's user creates. */
export const JOBS_PER_MINUTE = 8;

export function startVideoApp(variables: Record<string, string> = {}): Promise<TestApp> {
  // Storage sweeps may run every second in tests (a 30 s Redis lock would outlive a test file).
  return startService({
    manifest: fileURLToPath(new URL('./with-storage.spin.toml', import.meta.url)),
    authSecret: AUTH_SECRET,
    variables: { storage_sweep_every_seconds: '1', video_jobs_per_minute: String(JOBS_PER_MINUTE), ...variables },
  });
}

export const newUser = (): User => signIn(AUTH_SECRET);
export const video = (app: TestApp) => serviceCaller(app, '/v1/video');

export const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** Uploads `bytes` to storage as `as` and returns the file record. */
export async function upload(app: TestApp, as: User, bytes: Uint8Array, filename: string) {
  const answer = app.fetch(`/v1/storage/files?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { ...as.headers, 'content-type': 'application/octet-stream' },
    body: bytes.slice(),
  });
  return expectJson(answer, 201, StoredFile);
}

export const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls `GET /jobs/{id}` as `as` every 50 ms until the job finished (at most `deadlineMs`). */
export async function settled(app: TestApp, as: User, id: string, deadlineMs = 20_000): Promise<JobView> {
  const call = video(app);
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const job = await expectJson(call('GET', `/jobs/${id}`, { as }), 200, JobView);
    if (FINISHED.has(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls the caller's job list until `pick` finds a finished job (at most `deadlineMs`). */
export async function finishedJobWhere(app: TestApp, as: User, query: string, pick: (job: JobView) => boolean, deadlineMs = 20_000): Promise<JobView> {
  const call = video(app);
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const page = (await call('GET', `/jobs?${query}`, { as })).body as { items: JobView[] };
    const found = page.items.find((job) => pick(job) && FINISHED.has(job.state));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no finished job matching after ${deadlineMs} ms: ${JSON.stringify(page.items.map((job) => [job.kind, job.state]))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The audio service with the storage (and content) services it reads and writes through
// (with-storage.spin.toml), and the steps its tests share. Embedded
// PGlite, Redis and S3 unless DB_CONNECTION / REDIS_ADDRESS name real servers.
import { fileURLToPath } from 'node:url';
import { StoredFile } from '@authorworks/domain';
import { JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type TestUser } from '@authorworks/spin-local/testing';
import { expect } from 'vitest';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'audio-tests-secret-0123456789abcdef-xyz';
export const DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_audio';

export function startAudioApp(): Promise<TestApp> {
  return startService({
    // audio, storage and content as spin-all.toml composes them, and only their databases migrated.
    manifest: fileURLToPath(new URL('with-storage.spin.toml', import.meta.url)),
    authSecret: AUTH_SECRET,
    // One 8 MiB part per job step, so a 17 MB book takes three steps.
    variables: { storage_sweep_every_seconds: '1', audio_result_step_bytes: String(8 * 1024 * 1024) },
  });
}

export const newUser = (): User => signIn(AUTH_SECRET);
/** Answers come back read, with the runtime's error lines on a 5xx. */
export const audio = (app: TestApp) => serviceCaller(app, '/v1/audio');

export async function upload(app: TestApp, as: User, bytes: Uint8Array<ArrayBuffer>, filename: string): Promise<StoredFile> {
  const response = await app.fetch(`/v1/storage/files?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { ...as.headers, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  return expectJson(response, 201, StoredFile);
}

export async function download(app: TestApp, as: User, fileId: string): Promise<Response> {
  return app.fetch(`/v1/storage/files/${fileId}/content`, { headers: as.headers });
}

export async function submit(app: TestApp, as: User, kind: string, payload: unknown): Promise<JobView> {
  return expectJson(audio(app)('POST', '/jobs', { as, body: { kind, payload } }), 202, JobView);
}

/** Polls the job until it is finished (succeeded, failed, cancelled); fails after `deadlineMs`. */
export async function finished(app: TestApp, as: User, id: string, deadlineMs = 30_000): Promise<JobView> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const job = await expectJson(audio(app)('GET', `/jobs/${id}`, { as }), 200, JobView);
    if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job;
    expect(Date.now(), `job ${id} still ${job.state} after ${deadlineMs} ms`).toBeLessThan(until);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

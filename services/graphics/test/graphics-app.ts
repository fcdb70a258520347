// The graphics service with storage on the local Spin runtime (embedded PGlite, Redis and S3
// unless DB_CONNECTION / REDIS_ADDRESS / MINIO_ENDPOINT name real servers), and the steps its
// tests share: uploads, jobs, waiting for a job to settle.
import { fileURLToPath } from 'node:url';
import { StoredFile } from '@authorworks/domain';
import { JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type TestUser } from '@authorworks/spin-local/testing';
import { z } from 'zod';

export const AUTH_SECRET = 'graphics-tests-secret-0123456789abcdef-xyz';
export const MANIFEST = fileURLToPath(new URL('./with-storage.spin.toml', import.meta.url));
/** Graphics, storage and content: what covers need. */
export const COVERS_MANIFEST = fileURLToPath(new URL('./with-content.spin.toml', import.meta.url));
export const GRAPHICS_DB = 'postgres://postgres@127.0.0.1:5432/authorworks_graphics';

export const startGraphicsApp = (manifest = MANIFEST): Promise<TestApp> => startService({ manifest, authSecret: AUTH_SECRET });
export const newUser = (): TestUser => signIn(AUTH_SECRET);

export const JobList = z.object({ items: z.array(JobView), nextCursor: z.string().nullable() });

export function clients(app: TestApp) {
  const graphics = serviceCaller(app, '/v1/graphics');
  const storage = serviceCaller(app, '/v1/storage');
  return {
    graphics,
    storage,
    async upload(as: TestUser, bytes: Uint8Array, filename: string): Promise<StoredFile> {
      const response = await app.fetch(`/v1/storage/files?filename=${encodeURIComponent(filename)}`, {
        method: 'POST',
        headers: { ...as.headers, 'content-type': 'application/octet-stream' },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
      return expectJson(response, 201, StoredFile);
    },
    /** The file's bytes as `as` may read them, or the status storage answered. */
    async download(as: TestUser, fileId: string): Promise<{ status: number; bytes: Uint8Array }> {
      const response = await app.fetch(`/v1/storage/files/${fileId}/content`, { headers: as.headers });
      return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
    },
    /** Polls the job (as its owner) every 250 ms (each poll is a request the worker competes with) until it has finished; fails after `seconds`. */
    async settled(as: TestUser, id: string, seconds = 40): Promise<JobView> {
      const deadline = Date.now() + seconds * 1000;
      for (;;) {
        const job = await expectJson(graphics('GET', `/jobs/${id}`, { as }), 200, JobView);
        if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job;
        if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${seconds} s: ${JSON.stringify(job)}\n${app.logs.text('guest').slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    /** Polls until the upload's automatic thumbnail job exists (made from file.uploaded); fails after `seconds`. */
    async thumbnailJobOf(as: TestUser, fileId: string, seconds = 20): Promise<JobView> {
      const deadline = Date.now() + seconds * 1000;
      for (;;) {
        const reply = await graphics('GET', `/files/${fileId}/thumbnails`, { as });
        if (reply.status === 200) return JobView.parse(reply.body);
        if (reply.status !== 404 || Date.now() > deadline) throw new Error(`no thumbnail job for ${fileId}: ${reply.status} ${JSON.stringify(reply.body)}\n${app.logs.text('guest').slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  };
}

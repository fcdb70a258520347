// What the storage benches share: s3rver in a child process (so the bench's process is the
// runtime alone, plus its client) and the storage service on spin-local in front of it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApp, type TestApp } from '@authorworks/spin-local';

export const SECRET = 'bench-secret-bench-secret-bench-secret-00';
export const MiB = 1024 * 1024;

export interface StorageBench {
  app: TestApp;
  /** The S3 server's endpoint (s3rver's keys: S3RVER / S3RVER). */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startStorageBench(options: { logLevel: string; components?: string[] }): Promise<StorageBench> {
  const s3 = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('s3-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => s3.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  const endpoint = `http://127.0.0.1:${port}`;
  const app = await startApp({
    manifest: fileURLToPath(new URL('../../services/storage/spin.toml', import.meta.url)),
    ...(options.components ? { components: options.components } : {}),
    env: {
      SPIN_VARIABLE_AUTH_SECRET: SECRET,
      SPIN_VARIABLE_LOG_LEVEL: options.logLevel,
      SPIN_VARIABLE_STORAGE_QUOTA_BYTES: String(64 * 1024 * MiB),
      MINIO_ENDPOINT: endpoint,
      MINIO_ACCESS_KEY: 'S3RVER',
      MINIO_SECRET_KEY: 'S3RVER',
    },
    migrate: true,
  });
  return {
    app,
    endpoint,
    async stop() {
      await app.close();
      s3.kill('SIGTERM');
    },
  };
}

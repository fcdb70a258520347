// How the vitest projects whose files start apps on spin-local schedule those files
// (docs/decisions.md, Decision 18). Plain JavaScript that imports nothing: their vitest.config.ts
// loads it, and vitest hands a workspace package's files to Node as they are.

/** True when DB_CONNECTION, REDIS_ADDRESS or MINIO_ENDPOINT names a server that every test file's app would share. */
export function sharesBackends(env = process.env) {
  return Boolean(env.DB_CONNECTION || env.REDIS_ADDRESS || env.MINIO_ENDPOINT);
}

/**
 * For files that must not run side by side on a shared server (they reset or sweep its data, or
 * listen to all of its events): one at a time there, side by side on embedded backends, where each
 * file's app has its own. Files share their worker process either way: each starts and closes its
 * own app, and the compiled engine module and the imports carry over. vitest 4 runs non-isolated
 * files one at a time only in a sequence group of their own, hence group 1.
 */
export function oneFileAtATimeOnSharedServers(env = process.env) {
  const shared = sharesBackends(env);
  return { isolate: false, fileParallelism: !shared, sequence: { groupOrder: shared ? 1 : 0 } };
}

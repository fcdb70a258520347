import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-{{project-name | kebab_case}}',
    // The tests start the compiled component on the local Spin runtime.
    // Files share their worker process: each starts and closes its own app, and the compiled
    // component and imports are reused (the repository's docs/decisions.md, Decision 18).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // On real servers (DB_CONNECTION, REDIS_ADDRESS) the test files share one database and Redis.
    fileParallelism: false,
    // Vitest runs unshared files one at a time only in a group of their own.
    sequence: { groupOrder: 1 },
  },
});

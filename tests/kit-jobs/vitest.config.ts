import { oneFileAtATimeOnSharedServers } from '@authorworks/spin-local/vitest-projects';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'kit-jobs',
    // Builds dist/*.wasm from src/ when they changed.
    globalSetup: ['./test/build-components.ts'],
    // The tests start the compiled components on the local runtime, some in child processes.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // On real servers the test files share one database and Redis.
    ...oneFileAtATimeOnSharedServers(),
  },
});

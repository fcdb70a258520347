import { oneFileAtATimeOnSharedServers } from '@authorworks/spin-local/vitest-projects';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-{{project-name | kebab_case}}',
    // The tests start the compiled component on the local Spin runtime.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // On real servers (DB_CONNECTION, REDIS_ADDRESS) the test files share one database and Redis:
    // one at a time there, side by side on embedded backends, in one worker process.
    ...oneFileAtATimeOnSharedServers(),
  },
});

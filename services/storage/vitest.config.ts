import { oneFileAtATimeOnSharedServers } from '@authorworks/spin-local/vitest-projects';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-storage',
    // Component tests start the compiled component on the local runtime (transpiled once, cached).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // On real servers every test app shares the one authorworks_storage database and Redis, while
    // each has its own object storage: one app's sweep would remove another's pending rows and
    // miss their objects. One file at a time keeps each test's world its own.
    ...oneFileAtATimeOnSharedServers(),
  },
});

import { oneFileAtATimeOnSharedServers } from '@authorworks/spin-local/vitest-projects';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-messaging',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // On real servers every test app's processor hears every event, and restart.test.ts needs none
    // listening while its own is stopped: one file at a time there.
    ...oneFileAtATimeOnSharedServers(),
  },
});

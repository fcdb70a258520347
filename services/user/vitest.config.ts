import { oneFileAtATimeOnSharedServers } from '@authorworks/spin-local/vitest-projects';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-user',
    // Component tests call the compiled .wasm; password hashing alone takes ~0.2 s per call there.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // On real servers every file shares the authorworks_users database, and each test resets it.
    ...oneFileAtATimeOnSharedServers(),
  },
});

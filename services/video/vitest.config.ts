import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-video',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

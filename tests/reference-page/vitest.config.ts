import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'reference-page',
    // Starting three components (transpiled on a fresh clone) and Chromium; the page itself loads in about a second.
    hookTimeout: 120_000,
    testTimeout: 30_000,
  },
});

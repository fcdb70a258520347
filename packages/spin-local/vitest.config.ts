import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'spin-local',
    // Compiles the tiny fixture components once per run (cached by source hash).
    globalSetup: ['./test/build-fixtures.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  // One platform, started once; the whole run is bounded by the cases per route (src/cases.ts).
  test: { name: 'attack', testTimeout: 240_000, hookTimeout: 180_000 },
});

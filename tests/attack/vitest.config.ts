import { defineProject } from 'vitest/config';

export default defineProject({
  // One platform, started once; the whole run is bounded by the cases per route (src/cases.ts).
  // The fuzzer's run grows with every route a service adds (2,243 requests with messaging's, 251 s
  // at load average 8–10 on the shared 2-core machine), hence the wide bound.
  test: { name: 'attack', testTimeout: 600_000, hookTimeout: 180_000 },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  // One platform, started once; the whole run is bounded by the cases per route (src/cases.ts).
  // The fuzzer's run grows with every route a service adds (2,243 requests with messaging's, 251 s
  // at load average 8–10 on the shared 2-core machine), hence the wide bound.
  // Starting it is bounded as widely: on a fresh clone it is the first app to load most of the
  // thirteen components, so it transpiles them (and migrates eight databases) before any request.
  test: { name: 'attack', testTimeout: 600_000, hookTimeout: 600_000 },
});

// Vitest global set-up: builds the demo app's components (the repository's `pnpm build` builds
// services/* only); components whose sources did not change are skipped.
import { fileURLToPath } from 'node:url';
import { buildAll, findRepoRoot } from '@authorworks/toolchain';

export default async function buildDemoComponents(): Promise<void> {
  const summary = await buildAll({ root: findRepoRoot(), serviceDirs: [fileURLToPath(new URL('..', import.meta.url))], log: () => {} });
  if (summary.failures.length > 0) {
    throw new Error(`building the jobs demo failed: ${summary.failures.map((failure) => `${failure.id}: ${failure.error.message}`).join('; ')}`);
  }
}

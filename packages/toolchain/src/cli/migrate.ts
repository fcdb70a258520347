/**
 * `pnpm migrate` (also `npm run migrate`, as the deployment's one-shot job runs it)
 *
 * Applies each service's pending SQL migrations to the database its components use: embedded
 * PGlite under .data/ by default, the real server when DB_CONNECTION is set (database names and
 * credentials from SPIN_VARIABLE_<SVC>_DB_CONNECTION, as `spin up` reads them).
 */
import { join } from 'node:path';
import { COMPOSED_MANIFEST } from '../compose.ts';
import { migrateAll } from '../migrate.ts';
import { findRepoRoot } from '../workspace.ts';

const root = findRepoRoot();
try {
  await migrateAll({ root, manifestFile: join(root, COMPOSED_MANIFEST), log: (line) => console.log(line) });
} catch (error) {
  console.error(`migrations failed: ${(error as Error).message}`);
  process.exit(1);
}

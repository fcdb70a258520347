// On a real server each service database is created on first use: concurrent first requests to a
// new database must all get a connection (the attack suite found four /ready answering 503 with
// `SqlState(E23505)` when two requests raced to create it). Embedded PGlite has no such step.
import { afterAll, expect, it } from 'vitest';
import { openSqlClient } from './sql-client.ts';

const server = process.env.DB_CONNECTION;
const database = 'authorworks_create_race';

afterAll(async () => {
  if (!server) return;
  const admin = await openSqlClient(`${server}/postgres`);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
});

it.skipIf(!server)('connects every one of several concurrent first clients of a database that does not exist yet', async () => {
  const admin = await openSqlClient(`${server}/postgres`);
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.close();
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, async () => {
      const db = await openSqlClient(`${server}/${database}`);
      try {
        return (await db.query('SELECT 1 AS one')).rows;
      } finally {
        await db.close();
      }
    }),
  );
  expect(results.map((result) => (result.status === 'fulfilled' ? 'connected' : String(result.reason)))).toEqual(Array(6).fill('connected'));
});

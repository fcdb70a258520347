import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RowShapeError, SqlError, constraintOf, queryOne, queryRows, sqlInt, sqlJson, transaction, type SqlClient } from './sql.ts';

function recorder(rows: Record<string, unknown>[] = [], failOn?: string) {
  const statements: string[] = [];
  const client: SqlClient = {
    async query(sql) {
      statements.push(sql);
      if (failOn && sql.includes(failOn)) throw new Error('boom');
      return { rows };
    },
  };
  return { client, statements };
}

describe('typed queries', () => {
  const Row = z.object({ id: z.string(), count: sqlInt, tags: sqlJson(z.array(z.string())) });

  it('validates and converts rows', async () => {
    const { client } = recorder([{ id: 'a', count: '12', tags: '["x","y"]' }]);
    expect(await queryRows(client, Row, 'SELECT')).toEqual([{ id: 'a', count: 12, tags: ['x', 'y'] }]);
    expect(await queryOne(recorder([]).client, Row, 'SELECT')).toBeNull();
  });

  it('throws RowShapeError naming the bad column', async () => {
    const { client } = recorder([{ id: 'a', count: 'many', tags: '[]' }]);
    await expect(queryRows(client, Row, 'SELECT x')).rejects.toThrow(RowShapeError);
    await expect(queryRows(client, Row, 'SELECT x')).rejects.toThrow(/count/);
  });
});

describe('transactions', () => {
  it('commits, or rolls back and rethrows', async () => {
    const ok = recorder();
    await transaction(ok.client, async (tx) => tx.query('UPDATE a'));
    expect(ok.statements).toEqual(['BEGIN', 'UPDATE a', 'COMMIT']);

    const failing = recorder([], 'UPDATE b');
    await expect(transaction(failing.client, async (tx) => tx.query('UPDATE b'))).rejects.toThrow('boom');
    expect(failing.statements).toEqual(['BEGIN', 'UPDATE b', 'ROLLBACK']);
  });

  it('joins an outer transaction', async () => {
    const { client, statements } = recorder();
    await transaction(client, (tx) => transaction(tx, async (inner) => inner.query('UPDATE c')));
    expect(statements).toEqual(['BEGIN', 'UPDATE c', 'COMMIT']);
  });
});

describe('database errors', () => {
  it('recognises unique violations as Spin and Postgres word them', () => {
    const spin = 'Error { kind: Db, cause: Some(DbError { severity: "ERROR", code: SqlState(E23505), message: "duplicate key value violates unique constraint \\"users_email_key\\"", constraint: Some("users_email_key") }) }';
    expect(new SqlError(spin, 'query_failed').isUniqueViolation).toBe(true);
    expect(constraintOf(spin)).toBe('users_email_key');
    expect(constraintOf('duplicate key value violates unique constraint "users_username_key"')).toBe('users_username_key');
  });
});

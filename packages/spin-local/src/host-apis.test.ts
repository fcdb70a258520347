/**
 * Each host API through a compiled component, on the embedded backends — or on the real servers
 * when DB_CONNECTION / REDIS_ADDRESS are set (CI runs both).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { type Attempt, callProbe, dbAddress, redisAddress, startFixtureApp } from '../test/probe-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startFixtureApp();
});
afterAll(async () => {
  await app?.close();
});

const text = (value: string) => new TextEncoder().encode(value);
const runId = `${process.pid}-${Date.now()}`;

describe('variables', () => {
  it('returns component variables with their templates expanded', async () => {
    expect(await callProbe(app, 'variable?name=greeting')).toEqual({ ok: 'hello, world' });
    expect(await callProbe(app, 'variable?name=api_key')).toEqual({ ok: 'test-key' });
  });

  it('reports an undefined variable and an invalid name with Spin error variants', async () => {
    const missing = await callProbe<Attempt>(app, 'variable?name=nope');
    expect(missing.err).toMatchObject({ tag: 'undefined' });
    const invalid = await callProbe<Attempt>(app, 'variable?name=Bad-Name');
    expect(invalid.err).toMatchObject({ tag: 'invalid-name' });
  });

  it('gives a component only its own variables', async () => {
    const locked = await callProbe<Attempt>(app, 'variable?name=greeting', undefined, '/locked');
    expect(locked.err).toMatchObject({ tag: 'undefined' });
  });
});

describe('key-value', () => {
  type KvResults = { results: Attempt[]; open?: Attempt };

  it('stores, reads, lists and deletes in the default store', async () => {
    const { results } = await callProbe<KvResults>(app, 'kv', {
      store: 'default',
      ops: [['set', 'a', 'one'], ['set', 'b', 'two'], ['get', 'a'], ['exists', 'b'], ['keys'], ['delete', 'a'], ['get', 'a'], ['exists', 'a']],
    });
    expect(results).toEqual([{}, {}, { ok: text('one') }, { ok: true }, { ok: ['a', 'b'] }, {}, {}, { ok: false }]);
  });

  it('keeps labelled stores apart', async () => {
    await callProbe(app, 'kv', { store: 'cache', ops: [['set', 'only-in-cache', 'x']] });
    const { results } = await callProbe<KvResults>(app, 'kv', { store: 'default', ops: [['exists', 'only-in-cache']] });
    expect(results[0]).toEqual({ ok: false });
  });

  it('denies a store the component does not list', async () => {
    const denied = await callProbe<KvResults>(app, 'kv', { store: 'other', ops: [] });
    expect(denied.open?.err).toEqual({ tag: 'access-denied' });
    const locked = await callProbe<KvResults>(app, 'kv', { store: 'default', ops: [] }, '/locked');
    expect(locked.open?.err).toEqual({ tag: 'access-denied' });
  });

  it('is emptied by reset()', async () => {
    await callProbe(app, 'kv', { store: 'default', ops: [['set', 'k', 'v']] });
    await app.reset();
    const { results } = await callProbe<KvResults>(app, 'kv', { store: 'default', ops: [['keys']] });
    expect(results[0]).toEqual({ ok: [] });
  });
});

describe(`outbound Redis (${process.env.REDIS_ADDRESS ? 'real server' : 'embedded'})`, () => {
  type RedisResults = { results: Attempt[]; open?: Attempt };
  const key = (name: string) => `spin-local-test:${runId}:${name}`;

  it('runs get, set, incr, del, sadd, smembers, srem and execute', async () => {
    const { results } = await callProbe<RedisResults>(app, 'redis', {
      address: redisAddress,
      ops: [
        ['set', key('s'), text('value')],
        ['get', key('s')],
        ['get', key('missing')],
        ['incr', key('n')],
        ['incr', key('n')],
        ['sadd', key('set'), ['x', 'y', 'z']],
        ['srem', key('set'), ['y']],
        ['smembers', key('set')],
        ['del', [key('s'), key('n'), key('missing')]],
        ['execute', 'SET', [{ tag: 'binary', val: text(key('e')) }, { tag: 'int64', val: 41n }]],
        ['execute', 'INCR', [{ tag: 'binary', val: text(key('e')) }]],
        ['execute', 'GET', [{ tag: 'binary', val: text(key('e')) }]],
        ['execute', 'SET', [{ tag: 'binary', val: text(key('once')) }, { tag: 'binary', val: text('1') }, { tag: 'binary', val: text('NX') }]],
        ['execute', 'SET', [{ tag: 'binary', val: text(key('once')) }, { tag: 'binary', val: text('2') }, { tag: 'binary', val: text('NX') }]],
        ['execute', 'GET', [{ tag: 'binary', val: text(key('once')) }]],
        ['del', [key('set'), key('e'), key('once')]],
      ],
    });
    expect(results[0]).toEqual({});
    expect(results[1]).toEqual({ ok: text('value') });
    expect(results[2]).toEqual({});
    expect(results[3]).toEqual({ ok: 1n });
    expect(results[4]).toEqual({ ok: 2n });
    expect(results[5]).toEqual({ ok: 3 });
    expect(results[6]).toEqual({ ok: 1 });
    expect((results[7]?.ok as string[]).sort()).toEqual(['x', 'z']);
    expect(results[8]).toEqual({ ok: 2 });
    expect(results[9]).toEqual({ ok: [{ tag: 'status', val: 'OK' }] });
    expect(results[10]).toEqual({ ok: [{ tag: 'int64', val: 42n }] });
    expect(results[11]).toEqual({ ok: [{ tag: 'binary', val: text('42') }] });
    // SET … NX: the second write is refused (nil), so idempotency keys work on both backends.
    expect(results[12]).toEqual({ ok: [{ tag: 'status', val: 'OK' }] });
    expect(results[13]).toEqual({ ok: [{ tag: 'nil' }] });
    expect(results[14]).toEqual({ ok: [{ tag: 'binary', val: text('1') }] });
  });

  it.runIf(process.env.REDIS_ADDRESS)('reports type-error when incr meets a non-integer (real Redis)', async () => {
    const { results } = await callProbe<RedisResults>(app, 'redis', { address: redisAddress, ops: [['set', key('t'), text('abc')], ['incr', key('t')], ['del', [key('t')]]] });
    expect(results[1]?.err).toEqual({ tag: 'type-error' });
  });

  it('refuses an address outside allowed_outbound_hosts with invalid-address', async () => {
    const { open } = await callProbe<RedisResults>(app, 'redis', { address: redisAddress, ops: [] }, '/locked');
    expect(open?.err).toEqual({ tag: 'invalid-address' });
  });
});

describe(`Postgres (${process.env.DB_CONNECTION ? 'real server' : 'embedded PGlite'})`, () => {
  type PgResults = { results: Attempt<{ columns: { name: string; dataType: string }[]; rows: unknown[][] }>[]; open?: Attempt };
  const table = `t_${runId.replace(/\W/g, '_')}`;
  const pgCall = (statements: unknown[][], route?: string) => callProbe<PgResults>(app, 'pg', { address: dbAddress, statements }, route);

  it("maps every column type as Spin 4's postgres 2.0 interface does", async () => {
    const { results } = await pgCall([
      ['execute', `CREATE TABLE ${table} (a int2, b int4, c int8, d float4, e float8, f bool, g text, h varchar(10), i char(3), j bytea, k int4, l timestamptz, m numeric, n uuid)`],
      [
        'execute',
        `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), 1.5, gen_random_uuid())`,
        [
          { tag: 'int16', val: -7 },
          { tag: 'int32', val: 123456 },
          { tag: 'int64', val: 9007199254740993n },
          { tag: 'floating32', val: 1.5 },
          { tag: 'floating64', val: 2.25 },
          { tag: 'boolean', val: true },
          { tag: 'str', val: 'text ✓' },
          { tag: 'str', val: 'varchar' },
          { tag: 'str', val: 'ab' },
          { tag: 'binary', val: new Uint8Array([0, 1, 255]) },
          { tag: 'db-null' },
        ],
      ],
      ['query', `SELECT * FROM ${table}`],
    ]);
    expect(results[1]).toEqual({ ok: 1n });
    const rowSet = results[2]?.ok;
    expect(rowSet?.columns).toEqual([
      { name: 'a', dataType: 'int16' },
      { name: 'b', dataType: 'int32' },
      { name: 'c', dataType: 'int64' },
      { name: 'd', dataType: 'floating32' },
      { name: 'e', dataType: 'floating64' },
      { name: 'f', dataType: 'boolean' },
      { name: 'g', dataType: 'str' },
      { name: 'h', dataType: 'str' },
      { name: 'i', dataType: 'str' },
      { name: 'j', dataType: 'binary' },
      { name: 'k', dataType: 'int32' },
      { name: 'l', dataType: 'other' },
      { name: 'm', dataType: 'other' },
      { name: 'n', dataType: 'other' },
    ]);
    expect(rowSet?.rows).toEqual([
      [
        { tag: 'int16', val: -7 },
        { tag: 'int32', val: 123456 },
        { tag: 'int64', val: 9007199254740993n },
        { tag: 'floating32', val: 1.5 },
        { tag: 'floating64', val: 2.25 },
        { tag: 'boolean', val: true },
        { tag: 'str', val: 'text ✓' },
        { tag: 'str', val: 'varchar' },
        { tag: 'str', val: 'ab ' },
        { tag: 'binary', val: new Uint8Array([0, 1, 255]) },
        { tag: 'db-null' },
        { tag: 'unsupported' },
        { tag: 'unsupported' },
        { tag: 'unsupported' },
      ],
    ]);
  });

  // Spin 4 takes the columns from the prepared statement (crates/factor-outbound-pg/src/client.rs
  // `query`: `columns = Some(cols_fut.await)`); Spin 2.0 had none for an empty result.
  it('returns text casts of unsupported types, and the columns of an empty result', async () => {
    const { results } = await pgCall([
      ['query', `SELECT l::text AS l, m::text AS m FROM ${table}`],
      ['query', `SELECT a, g FROM ${table} WHERE false`],
    ]);
    expect(results[0]?.ok?.rows[0]?.map((v) => (v as { tag: string }).tag)).toEqual(['str', 'str']);
    expect(results[1]).toEqual({ ok: { columns: [{ name: 'a', dataType: 'int16' }, { name: 'g', dataType: 'str' }], rows: [] } });
  });

  // Spin binds through tokio-postgres: the statement is prepared and each parameter's Rust type
  // must be accepted by the type Postgres inferred (crates/factor-outbound-pg/src/types.rs
  // `to_sql_parameter`; postgres-types `ToSql::accepts`), else `query_failed` passes on the
  // error's `{:?}` (client.rs) as query-failed (crates/world/src/conversions.rs).
  it.each([
    ['an int64 for an int4 column', `SELECT a FROM @table WHERE b = $1`, { tag: 'int64', val: 123456n }, 'Error { kind: ToSql(0), cause: Some(WrongType { postgres: Int4, rust: "i64" }) }'],
    ['an int32 for an int8 column', `SELECT a FROM @table WHERE c = $1`, { tag: 'int32', val: 1 }, 'Error { kind: ToSql(0), cause: Some(WrongType { postgres: Int8, rust: "i32" }) }'],
    ['a str for an int4 column', `SELECT a FROM @table WHERE b = $1`, { tag: 'str', val: '123456' }, 'Error { kind: ToSql(0), cause: Some(WrongType { postgres: Int4, rust: "alloc::string::String" }) }'],
    ['a str for a uuid column', `SELECT a FROM @table WHERE n = $1`, { tag: 'str', val: '00000000-0000-0000-0000-000000000000' }, 'Error { kind: ToSql(0), cause: Some(WrongType { postgres: Uuid, rust: "alloc::string::String" }) }'],
    ['a floating64 for a float4 column', `SELECT a FROM @table WHERE d = $1`, { tag: 'floating64', val: 1.5 }, 'Error { kind: ToSql(0), cause: Some(WrongType { postgres: Float4, rust: "f64" }) }'],
  ])('refuses %s with tokio-postgres\' WrongType error', async (_name, sql, param, text) => {
    const { results } = await pgCall([['query', sql.replace('@table', table), [param]], ['execute', sql.replace('@table', table), [param]]]);
    expect(results[0]?.err).toEqual({ tag: 'query-failed', val: text });
    expect(results[1]?.err).toEqual({ tag: 'query-failed', val: text });
  });

  it('binds what Spin binds: exact integer widths, str to text types and casts, db-null anywhere', async () => {
    const { results } = await pgCall([
      ['query', `SELECT a FROM ${table} WHERE b = $1 AND c = $2 AND a = $3`, [{ tag: 'int32', val: 123456 }, { tag: 'int64', val: 9007199254740993n }, { tag: 'int16', val: -7 }]],
      ['query', `SELECT a FROM ${table} WHERE g = $1 AND h = $2 AND i = $3`, [{ tag: 'str', val: 'text ✓' }, { tag: 'str', val: 'varchar' }, { tag: 'str', val: 'ab' }]],
      ['query', `SELECT a FROM ${table} WHERE n = $1::text::uuid OR k = $2`, [{ tag: 'str', val: '00000000-0000-0000-0000-000000000000' }, { tag: 'db-null' }]],
      ['query', `SELECT $1 AS untyped`, [{ tag: 'str', val: 'x' }]],
    ]);
    expect(results[0]?.ok?.rows).toEqual([[{ tag: 'int16', val: -7 }]]);
    expect(results[1]?.ok?.rows).toEqual([[{ tag: 'int16', val: -7 }]]);
    expect(results[2]?.ok?.rows).toEqual([]);
    expect(results[3]?.ok?.rows).toEqual([[{ tag: 'str', val: 'x' }]]);
  });

  // Always prepared (the extended protocol): one statement per string, with or without parameters.
  it('refuses a string of several statements, as a prepared statement', async () => {
    const { results } = await pgCall([
      ['execute', `UPDATE ${table} SET k = 1; UPDATE ${table} SET k = 2`],
      ['execute', `UPDATE ${table} SET k = $1; UPDATE ${table} SET k = 2`, [{ tag: 'int32', val: 1 }]],
      ['query', `SELECT k FROM ${table}`],
    ]);
    for (const result of results.slice(0, 2)) {
      expect(result.err).toMatchObject({ tag: 'query-failed' });
      expect(JSON.stringify(result.err)).toContain('SqlState(E42601)');
    }
    expect(results[2]?.ok?.rows).toEqual([[{ tag: 'db-null' }]]);
  });

  it('reports SQL errors as query-failed with the SQLSTATE, and unsigned parameters as Spin does', async () => {
    const { results } = await pgCall([
      ['query', 'SELECT * FROM no_such_table'],
      ['query', 'SELECT $1::int4', [{ tag: 'uint32', val: 1 }]],
      ['execute', 'SELECT $1::int4', [{ tag: 'uint32', val: 1 }]],
    ]);
    expect(results[0]?.err).toMatchObject({ tag: 'query-failed' });
    expect(JSON.stringify(results[0]?.err)).toContain('SqlState(E42P01)');
    // Spin 4 converts the 2.0 parameters first, for query and execute alike (conversions.rs).
    expect(results[1]?.err).toEqual({ tag: 'value-conversion-failed', val: 'Postgres does not support unsigned integers' });
    expect(results[2]?.err).toEqual({ tag: 'value-conversion-failed', val: 'Postgres does not support unsigned integers' });
  });

  it('keeps a transaction on its connection', async () => {
    const { results } = await pgCall([
      ['execute', 'BEGIN'],
      ['execute', `DELETE FROM ${table}`],
      ['query', `SELECT count(*)::int4 AS n FROM ${table}`],
      ['execute', 'ROLLBACK'],
      ['query', `SELECT count(*)::int4 AS n FROM ${table}`],
    ]);
    expect(results[2]?.ok?.rows).toEqual([[{ tag: 'int32', val: 0 }]]);
    expect(results[4]?.ok?.rows).toEqual([[{ tag: 'int32', val: 1 }]]);
  });

  it('refuses an address outside allowed_outbound_hosts', async () => {
    const { open } = await pgCall([], '/locked');
    expect(open?.err).toEqual({ tag: 'connection-failed', val: `address ${dbAddress} is not permitted` });
  });

  it('shares its databases with app.sql() and empties tables on reset()', async () => {
    const sql = await app.sql(dbAddress);
    try {
      const before = await sql.query(`SELECT count(*)::int4 AS n FROM ${table}`);
      expect(before.rows).toEqual([{ n: 1 }]);
      await app.reset();
      const after = await sql.query(`SELECT count(*)::int4 AS n FROM ${table}`);
      expect(after.rows).toEqual([{ n: 0 }]);
      await sql.query(`DROP TABLE ${table}`);
    } finally {
      await sql.close();
    }
  });
});

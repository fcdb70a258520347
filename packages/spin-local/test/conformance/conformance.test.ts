/**
 * The conformance suite on spin-local: every case of expected.json (Spin v4.0.2's behaviour, each
 * citing its source) against the conformance app, on the embedded backends or on the real servers
 * when DB_CONNECTION / REDIS_ADDRESS are set. run-against-spin.ts runs the same cases on `spin up`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startApp } from '../../src/harness.ts';
import { conformanceManifest, loadCases, mismatches, runCase } from './cases.ts';

const redisAddress = process.env.REDIS_ADDRESS || 'redis://127.0.0.1:6379';
// The `postgres` database exists on every server, and the cases only select literals.
const dbAddress = 'postgres://postgres@127.0.0.1:5432/postgres';

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ manifest: conformanceManifest, env: { SPIN_VARIABLE_REDIS_ADDRESS: redisAddress } });
});
afterAll(async () => {
  await app?.close();
});

describe('Spin conformance (test/conformance/expected.json) on spin-local', () => {
  it.each(loadCases().map((c) => [c.id, c] as const))('%s', async (_id, testCase) => {
    const problems = await runCase(app.url, testCase, { REDIS_ADDRESS: redisAddress, DB_ADDRESS: dbAddress, RUN: `${process.pid}-${Date.now()}` });
    expect(problems, `${testCase.id} (${testCase.source})`).toEqual([]);
  });
});

// The matcher must be able to fail, or every case above would pass vacuously.
describe('the expected.json matcher', () => {
  it.each([
    [{ a: 1 }, { a: 2 }],
    [{ a: { $regex: '^x$' } }, { a: 'xy' }],
    [{ a: { $absent: true } }, { a: null }],
    [{ a: { $contains: 'm' } }, { a: ['n'] }],
    [{ a: { $json: { b: 1 } } }, { a: '{"b":2}' }],
    [[1, 2], [1]],
    [{ a: [] }, {}],
  ])('rejects %j against %j', (expected, actual) => {
    expect(mismatches(expected, actual)).not.toEqual([]);
  });

  it('accepts partial objects and every marker when they hold', () => {
    expect(mismatches({ a: 1, b: { $regex: '^x' }, c: { $absent: true }, d: { $contains: 'm' }, e: { $json: { f: [1] } } }, { a: 1, b: 'xy', z: 0, d: ['n', 'm'], e: '{"f":[1],"g":2}' })).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { fromDbValue, fromRedisResult, toParameterValue, toRedisParameter } from './spin-values.ts';
import { SqlError } from './sql.ts';

describe('Postgres values for Spin', () => {
  it('sends null as db-null (the SDK sends it as an object) and integers as int64', () => {
    expect(toParameterValue(null)).toEqual({ tag: 'db-null' });
    expect(toParameterValue(7)).toEqual({ tag: 'int64', val: 7n });
    expect(toParameterValue(2.5)).toEqual({ tag: 'floating64', val: 2.5 });
    expect(toParameterValue(9007199254740993n)).toEqual({ tag: 'int64', val: 9007199254740993n });
    expect(toParameterValue('x')).toEqual({ tag: 'str', val: 'x' });
    expect(toParameterValue(false)).toEqual({ tag: 'boolean', val: false });
    expect(toParameterValue(new Uint8Array([1]))).toEqual({ tag: 'binary', val: new Uint8Array([1]) });
  });

  it('reads int64 as a number when safe, as a string when not, null as null', () => {
    expect(fromDbValue({ tag: 'int64', val: 42n }, 'n')).toBe(42);
    expect(fromDbValue({ tag: 'int64', val: 9007199254740993n }, 'n')).toBe('9007199254740993');
    expect(fromDbValue({ tag: 'db-null' }, 'n')).toBeNull();
    expect(fromDbValue({ tag: 'str', val: 'a' }, 'n')).toBe('a');
  });

  it('names a column Spin cannot return', () => {
    expect(() => fromDbValue({ tag: 'unsupported' }, 'created_at')).toThrow(SqlError);
    expect(() => fromDbValue({ tag: 'unsupported' }, 'created_at')).toThrow(/"created_at".*cast it/);
  });
});

describe('Redis values for Spin', () => {
  it('sends integers as int64 and the rest as bytes', () => {
    expect(toRedisParameter(60)).toEqual({ tag: 'int64', val: 60n });
    expect(toRedisParameter('NX')).toEqual({ tag: 'binary', val: new TextEncoder().encode('NX') });
  });
  it('reads replies', () => {
    expect(fromRedisResult({ tag: 'nil' })).toBeNull();
    expect(fromRedisResult({ tag: 'status', val: 'OK' })).toBe('OK');
    expect(fromRedisResult({ tag: 'int64', val: 3n })).toBe(3);
  });
});

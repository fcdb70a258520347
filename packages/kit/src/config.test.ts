import { describe, expect, it } from 'vitest';
import { Config, ConfigError } from './config.ts';

const config = (variables: Record<string, string>) => new Config({ get: (name) => variables[name] });

describe('config', () => {
  it('names a missing variable and how to set it', () => {
    expect(() => config({}).dbConnection).toThrow(ConfigError);
    expect(() => config({}).dbConnection).toThrow(/"db_connection" is not set.*SPIN_VARIABLE_DB_CONNECTION/);
    expect(() => config({ redis_address: ' ' }).redisAddress).toThrow(/redis_address/);
  });
  it('reads typed values', () => {
    const typed = config({ cors_origins: 'https://a.example, https://b.example/', log_level: 'warn', flag: 'TRUE' });
    expect(typed.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(typed.logLevel).toBe('warn');
    expect(typed.flag('flag')).toBe(true);
    expect(typed.flag('absent')).toBe(false);
    expect(() => config({ flag: 'maybe' }).flag('flag')).toThrow(/must be "true" or "false"/);
  });
});

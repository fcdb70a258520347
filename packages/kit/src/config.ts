import { parseCorsOrigins } from './middleware/cors.ts';
import { parseLogLevel, type LogLevel } from './logging.ts';

/** Where configuration comes from: Spin variables in a component, a map in tests. */
export interface VariableSource {
  /** The value, or undefined when the variable is not defined for this component. */
  get(name: string): string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Spin variable "${variable}" ${reason} (set it in the manifest's [variables] or as SPIN_VARIABLE_${variable.toUpperCase()})`);
    this.name = 'ConfigError';
  }
}

/** auth_secret keys HMAC-SHA256; fewer than 32 bytes would make it the weakest link. */
export const MIN_AUTH_SECRET_LENGTH = 32;

/** Typed access to a component's variables; each value is read on first use. */
export class Config {
  constructor(private readonly source: VariableSource) {}

  /** The value of `name`, throwing a ConfigError naming it when it is missing or empty. */
  required(name: string): string {
    const value = this.source.get(name);
    if (value === undefined || value.trim() === '') throw new ConfigError(name, 'is not set');
    return value;
  }

  /** Whether the component's manifest maps `name` at all (even to an empty value). */
  maps(name: string): boolean {
    return this.source.get(name) !== undefined;
  }

  optional(name: string, fallback: string): string {
    const value = this.source.get(name);
    return value === undefined || value.trim() === '' ? fallback : value;
  }

  /** `"true"`/`"1"`/`"yes"` as true; anything else is the fallback's opposite only when explicit. */
  flag(name: string, fallback = false): boolean {
    const value = this.source.get(name)?.trim().toLowerCase();
    if (value === undefined || value === '') return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(name, `must be "true" or "false", not "${value}"`);
  }

  get authSecret(): string {
    const secret = this.required('auth_secret');
    if (secret.length < MIN_AUTH_SECRET_LENGTH) {
      throw new ConfigError('auth_secret', `must be at least ${MIN_AUTH_SECRET_LENGTH} characters`);
    }
    return secret;
  }

  get logLevel(): LogLevel {
    return parseLogLevel(this.source.get('log_level'));
  }

  get corsOrigins(): string[] {
    return parseCorsOrigins(this.source.get('cors_origins') ?? '');
  }

  get redisAddress(): string {
    return this.required('redis_address');
  }

  get dbConnection(): string {
    return this.required('db_connection');
  }
}

import { describe, expect, it } from 'vitest';
import { interpolate, loadCompose, loadEnvExample, loadSpinApp, serviceEnvironment } from './deployment-files.ts';

const { manifest } = await loadSpinApp();
const compose = loadCompose();
const spinEnv = serviceEnvironment(compose.services.spin ?? {});
const envKey = (variable: string) => `SPIN_VARIABLE_${variable.toUpperCase()}`;

/**
 * Variables docker-compose.yml already provides for features whose services have not declared
 * them yet (the user service's Authelia mode). Spin ignores environment
 * values for undeclared variables, so these are harmless; the list only keeps the typo check below
 * meaningful. Remove a name once its service declares it.
 */
const providedAhead = new Set([
  'authelia_integration',
  'proxy_secret',
]);

/** .env.example filled in the way an operator would, to resolve compose's ${...}. */
const sampleDotEnv = Object.fromEntries(loadEnvExample().map(({ name, value }) => [name, value === '' ? `sample-${name.toLowerCase()}` : value]));

describe('every application variable in spin-all.toml is provided to the spin container', () => {
  const variables = Object.entries(manifest.variables);

  it('spin-all.toml declares variables (the list this test walks)', () => {
    expect(variables.length).toBeGreaterThan(0);
  });

  it.each(variables.filter(([, v]) => v.required === true || v.default === undefined))('required %s is set by compose', (name) => {
    expect(spinEnv[envKey(name)], envKey(name)).toBeTruthy();
  });

  it.each(variables.filter(([, v]) => /127\.0\.0\.1|localhost/.test(v.default ?? '')))(
    '%s defaults to this machine, which in a container is the container itself: compose overrides it with a compose host',
    (name) => {
      const value = spinEnv[envKey(name)];
      expect(value, envKey(name)).toBeDefined();
      expect(interpolate(value ?? '', sampleDotEnv)).not.toMatch(/127\.0\.0\.1|localhost/);
    },
  );

  it.each(variables.filter(([, v]) => v.secret === true))('secret %s comes from .env, never a literal in docker-compose.yml', (name) => {
    const declared = variables.find(([n]) => n === name)![1];
    // A required secret must be set in .env; an optional one (a default in the manifest, e.g. a
    // TTS server's API key) is empty unless .env sets it — never a value written in the file.
    const value = spinEnv[envKey(name)] ?? '';
    if (declared.default === undefined || !/^\$\{[A-Z_]+:-\}$/.test(value)) expect(value).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
  });

  it('every SPIN_VARIABLE_* compose sets names a declared variable (catches typos that Spin would silently ignore)', () => {
    const declared = new Set(Object.keys(manifest.variables));
    const unknown = Object.keys(spinEnv)
      .filter((key) => key.startsWith('SPIN_VARIABLE_'))
      .map((key) => key.slice('SPIN_VARIABLE_'.length).toLowerCase())
      .filter((name) => !declared.has(name) && !providedAhead.has(name));
    expect(unknown).toEqual([]);
  });

  it('the migration job and the worker container see exactly the variables the spin container sees', () => {
    const spinVariables = Object.entries(spinEnv).filter(([key]) => key.startsWith('SPIN_VARIABLE_'));
    for (const other of ['migrate', 'spin-worker']) {
      const otherEnv = serviceEnvironment(compose.services[other] ?? {});
      for (const [key, value] of spinVariables) expect(otherEnv[key], `${other}: ${key}`).toBe(value);
    }
  });

  it('resolves, with a filled-in .env, to addresses of compose services', () => {
    const resolved = Object.fromEntries(Object.entries(spinEnv).map(([key, value]) => [key, interpolate(value, sampleDotEnv)]));
    expect(new URL(resolved.SPIN_VARIABLE_REDIS_ADDRESS ?? '').host).toBe('redis:6379');
    for (const [key, value] of Object.entries(resolved).filter(([k]) => k.endsWith('_DB_CONNECTION'))) {
      const url = new URL(value);
      expect(url.host, key).toBe('postgres:5432');
      expect(url.username, key).toBe('authorworks');
      expect(url.password, key).toBe(sampleDotEnv.AUTHORWORKS_DB_PASSWORD);
    }
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'postgres', 'minio']));
  });
});

import { describe, expect, it } from 'vitest';
import { parseManifest } from '@authorworks/spin-manifest';
import { VariableError, componentVariables, expandTemplate, parseDotenv, resolveAppVariables } from './variables.ts';

const manifest = parseManifest(
  `spin_manifest_version = 2
[application]
name = "vars"
[variables]
auth_secret = { required = true, secret = true }
log_level = { default = "info" }
db_connection = { default = "postgres://postgres@127.0.0.1:5432/app" }
[[trigger.http]]
route = "/..."
component = "api"
[component.api]
source = "api.wasm"
[component.api.variables]
auth_secret = "{{ auth_secret }}"
log_level = "{{log_level}}"
db_connection = "{{ db_connection }}?sslmode=disable"
`,
  'spin.toml',
);

describe('variables', () => {
  it('fails naming a required variable that has no value', () => {
    expect(() => resolveAppVariables(manifest, { env: {}, dotenv: {}, providers: [] })).toThrow(VariableError);
    expect(() => resolveAppVariables(manifest, { env: {}, dotenv: {}, providers: [] })).toThrow(/"auth_secret".*SPIN_VARIABLE_AUTH_SECRET/);
  });

  it('takes SPIN_VARIABLE_<NAME> from the environment over the dotenv file and defaults', () => {
    const values = resolveAppVariables(manifest, {
      env: { SPIN_VARIABLE_AUTH_SECRET: 'from-env', SPIN_VARIABLE_LOG_LEVEL: 'debug' },
      dotenv: { SPIN_VARIABLE_AUTH_SECRET: 'from-file', SPIN_VARIABLE_LOG_LEVEL: 'warn' },
      providers: [],
    });
    expect(values).toEqual({ auth_secret: 'from-env', log_level: 'debug', db_connection: 'postgres://postgres@127.0.0.1:5432/app' });
  });

  it('reads a dotenv file when the environment has no value', () => {
    const values = resolveAppVariables(manifest, { env: {}, dotenv: parseDotenv('# c\nSPIN_VARIABLE_AUTH_SECRET="s3 cret"\n'), providers: [] });
    expect(values.auth_secret).toBe('s3 cret');
  });

  // Spin always appends its env provider, whose default dotenv file is `./.env`
  // (v4.0.2 crates/variables-env/src/lib.rs, `EnvVariablesProvider::default`).
  it('reads ./.env after the environment and before spin-local\'s --env-file files', () => {
    const resolve = (env: Record<string, string>) =>
      resolveAppVariables(manifest, {
        env,
        workingDirDotenv: { SPIN_VARIABLE_AUTH_SECRET: 'from-dot-env', SPIN_VARIABLE_LOG_LEVEL: 'warn' },
        dotenv: { SPIN_VARIABLE_AUTH_SECRET: 'from-env-file', SPIN_VARIABLE_DB_CONNECTION: 'postgres://file/db' },
        providers: [],
      });
    expect(resolve({})).toEqual({ auth_secret: 'from-dot-env', log_level: 'warn', db_connection: 'postgres://file/db' });
    expect(resolve({ SPIN_VARIABLE_LOG_LEVEL: 'debug' }).log_level).toBe('debug');
  });

  it('asks runtime-config providers first, in order', () => {
    const values = resolveAppVariables(manifest, {
      env: { SPIN_VARIABLE_AUTH_SECRET: 'env', APP_LOG_LEVEL: 'trace' },
      dotenv: {},
      providers: [
        { type: 'static', values: { auth_secret: 'static' } },
        { type: 'env', prefix: 'APP' },
      ],
    });
    expect(values.auth_secret).toBe('static');
    expect(values.log_level).toBe('trace');
  });

  it("expands Spin's {{ name }} templates in component variables", () => {
    const values = { auth_secret: 'x', log_level: 'info', db_connection: 'postgres://h/db' };
    expect(componentVariables(manifest, 'api', values)).toEqual({ auth_secret: 'x', log_level: 'info', db_connection: 'postgres://h/db?sslmode=disable' });
    expect(() => expandTemplate('{{ missing }}', values, 'component.api.variables.x')).toThrow(/component.api.variables.x.*"missing"/);
  });

  it('parses dotenv syntax', () => {
    expect(parseDotenv("export A=1\nB='two # not a comment'\nC=three # comment\n\n#D=4\nE=\"x\\ny\"")).toEqual({ A: '1', B: 'two # not a comment', C: 'three', E: 'x\ny' });
  });
});

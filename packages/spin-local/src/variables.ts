/**
 * Application variables as `spin up` resolves them: providers from the runtime config in order,
 * then Spin's own env provider, which it always appends — `SPIN_VARIABLE_<NAME>` from the
 * environment, else from `./.env` in the working directory (v4.0.2 crates/runtime-config/src/
 * variables.rs `runtime_config_from_toml`, crates/variables-env/src/lib.rs: default
 * `dotenv_path: Some(".env")`) — then spin-local's `--env-file` files, then the manifest default.
 * A required variable without a value stops start-up, naming it. Component variables are Spin
 * templates (`"{{ db_connection }}"`, literal text allowed around them).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Manifest } from '@authorworks/spin-manifest';
import type { VariablesProviderConfig } from './runtime-config.ts';

export class VariableError extends Error {}

/** Minimal dotenv: `KEY=value`, optional quotes, `#` comments, `export ` prefixes. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? (quoted[2] ?? '').replace(/\\n/g, '\n') : (quoted[2] ?? '');
    else value = value.replace(/\s+#.*$/, '');
    values[match[1] as string] = value;
  }
  return values;
}

export function readDotenv(file: string): Record<string, string> {
  return existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : {};
}

export interface VariableSources {
  env: Record<string, string | undefined>;
  /** `./.env` in the working directory, read by Spin's default env provider after the environment. */
  workingDirDotenv?: Record<string, string>;
  /** dotenv files' contents (`--env-file`, spin-local's own), consulted after those (later files win). */
  dotenv: Record<string, string>;
  providers: VariablesProviderConfig[];
}

function envKey(prefix: string, name: string): string {
  return `${prefix}_${name.toUpperCase()}`;
}

export function resolveAppVariables(manifest: Manifest, sources: VariableSources): Record<string, string> {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, declared] of Object.entries(manifest.variables)) {
    let value: string | undefined;
    for (const provider of sources.providers) {
      if (provider.type === 'static') value = provider.values[name];
      else {
        const key = envKey(provider.prefix ?? 'SPIN_VARIABLE', name);
        value = sources.env[key] ?? (provider.dotenv_path ? readDotenv(provider.dotenv_path)[key] : undefined);
      }
      if (value !== undefined) break;
    }
    const key = envKey('SPIN_VARIABLE', name);
    value ??= sources.env[key] ?? sources.workingDirDotenv?.[key] ?? sources.dotenv[key] ?? declared.default;
    if (value === undefined) {
      if (declared.required) missing.push(name);
      continue;
    }
    resolved[name] = value;
  }
  if (missing.length > 0) {
    const list = missing.map((n) => `"${n}"`).join(', ');
    const hint = missing.map((n) => envKey('SPIN_VARIABLE', n)).join(', ');
    throw new VariableError(`required variable${missing.length > 1 ? 's' : ''} ${list} ha${missing.length > 1 ? 've' : 's'} no value: set ${hint} in the environment or a dotenv file (--env-file)`);
  }
  return resolved;
}

/** Expands `{{ name }}` references; an unknown or unset name is an error naming the component key. */
export function expandTemplate(template: string, values: Record<string, string>, where: string): string {
  return template.replace(/\{\{\s*([a-z0-9_]+)\s*\}\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new VariableError(`${where}: refers to variable "${name}", which has no value`);
    return value;
  });
}

export function componentVariables(manifest: Manifest, componentId: string, values: Record<string, string>): Record<string, string> {
  const component = manifest.component[componentId];
  const result: Record<string, string> = {};
  for (const [name, template] of Object.entries(component?.variables ?? {})) {
    result[name] = expandTemplate(template, values, `component.${componentId}.variables.${name}`);
  }
  return result;
}

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TomlError, parse } from 'smol-toml';
import type { z } from 'zod';
import { ManifestError } from './errors.ts';
import { manifest as manifestSchema, type Manifest } from './schema.ts';

export interface LoadedManifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** Directory the manifest's relative paths are resolved against. */
  dir: string;
  manifest: Manifest;
}

/** `["trigger", "http", 0, "route"]` → `trigger.http[0].route`, the way a TOML reader thinks of it. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function firstIssue(error: z.ZodError): { key: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { key: '', message: 'invalid manifest' };
  if (issue.code === 'unrecognized_keys') {
    const key = formatKeyPath([...issue.path, issue.keys[0] ?? '']);
    return { key, message: 'unknown key (Spin rejects keys it does not know)' };
  }
  return { key: formatKeyPath(issue.path), message: issue.message };
}

/** Parses manifest text; `file` is only used to name the source in errors. */
export function parseManifest(text: string, file: string): Manifest {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ManifestError(file, '', `invalid TOML at line ${error.line}, column ${error.column}: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    const { key, message } = firstIssue(result.error);
    throw new ManifestError(file, key, message);
  }
  const parsed = result.data;
  checkReferences(parsed, file);
  return parsed;
}

/** Every trigger names a component that exists, and every `{{ var }}` names a declared variable. */
function checkReferences(m: Manifest, file: string): void {
  const triggers = [
    ...(m.trigger.http ?? []).map((t, i) => ({ key: `trigger.http[${i}].component`, id: t.component })),
    ...(m.trigger.redis ?? []).map((t, i) => ({ key: `trigger.redis[${i}].component`, id: t.component })),
  ];
  for (const { key, id } of triggers) {
    if (!(id in m.component)) throw new ManifestError(file, key, `no component with id "${id}"`);
  }
  for (const [id, component] of Object.entries(m.component)) {
    for (const [name, template] of Object.entries(component.variables ?? {})) {
      for (const ref of templateReferences(template)) {
        if (!(ref in m.variables)) {
          throw new ManifestError(file, `component.${id}.variables.${name}`, `refers to undeclared variable "${ref}"`);
        }
      }
    }
  }
  const redisAddress = m.application.trigger?.redis?.address;
  if (redisAddress) {
    for (const ref of templateReferences(redisAddress)) {
      if (!(ref in m.variables)) {
        throw new ManifestError(file, 'application.trigger.redis.address', `refers to undeclared variable "${ref}"`);
      }
    }
  }
}

/** Names used in Spin's `{{ name }}` template expressions. */
export function templateReferences(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([a-z0-9_]+)\s*\}\}/g)].map((match) => match[1] as string);
}

export async function loadManifest(file: string): Promise<LoadedManifest> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ManifestError(path, '', `cannot read manifest: ${(error as Error).message}`);
  }
  return { file: path, dir: dirname(path), manifest: parseManifest(text, path) };
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { z } from 'zod';

/**
 * `metadata/spin-template.toml`, manifest_version "1", as Spin's reader.rs accepts it: every table
 * denies unknown keys (serde `deny_unknown_fields`), so a typo is an error here as it is in Spin.
 */
const parameter = z.strictObject({
  type: z.literal('string'),
  prompt: z.string(),
  default: z.string().optional(),
  pattern: z.string().optional(),
  allowed_values: z.array(z.string()).optional(),
});

const condition = z.strictObject({
  condition: z.strictObject({ manifest_entry_exists: z.string() }),
  skip_files: z.array(z.string()).optional(),
  skip_parameters: z.array(z.string()).optional(),
  skip_snippets: z.array(z.string()).optional(),
});

const variant = z.strictObject({
  supported: z.boolean().optional(),
  skip_files: z.array(z.string()).optional(),
  skip_parameters: z.array(z.string()).optional(),
  snippets: z.record(z.string(), z.string()).optional(),
  conditions: z.record(z.string(), condition).optional(),
});

const createDirOutput = z.strictObject({
  action: z.literal('create_dir'),
  path: z.string(),
  at: z.enum(['component', 'manifest']).optional(),
});

export const templateManifest = z.strictObject({
  manifest_version: z.literal('1'),
  id: z.string().min(1),
  description: z.string().optional(),
  trigger_type: z.unknown().optional(),
  tags: z.array(z.string()).optional(),
  new_application: variant.optional(),
  add_component: variant.optional(),
  parameters: z.record(z.string(), parameter).optional(),
  custom_filters: z.unknown().optional(),
  outputs: z.record(z.string(), createDirOutput).optional(),
});

export type TemplateManifest = z.infer<typeof templateManifest>;
export type TemplateVariant = z.infer<typeof variant>;
export type TemplateParameter = z.infer<typeof parameter>;

/** A template directory as Spin's store lays it out: metadata/ and content/. */
export interface TemplateLayout {
  dir: string;
  manifest: TemplateManifest;
  contentDir: string | undefined;
  snippetsDir: string | undefined;
  partialsDir: string | undefined;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export function loadTemplate(dir: string): TemplateLayout {
  const manifestPath = join(dir, 'metadata', 'spin-template.toml');
  const result = templateManifest.safeParse(parse(readFileSync(manifestPath, 'utf8')));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TemplateError(`${manifestPath} is not a valid manifest: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  if (result.data.custom_filters !== undefined) {
    throw new TemplateError('Custom filters are not supported in this version of Spin. Please update your template.');
  }
  for (const [id, p] of Object.entries(result.data.parameters ?? {})) {
    if (p.pattern !== undefined) {
      try {
        new RegExp(p.pattern, 'u');
      } catch (error) {
        throw new TemplateError(`parameter ${id}: invalid pattern: ${(error as Error).message}`);
      }
    }
  }
  const optionalDir = (...parts: string[]) => {
    const path = join(dir, ...parts);
    return existsSync(path) ? path : undefined;
  };
  return {
    dir,
    manifest: result.data,
    contentDir: optionalDir('content'),
    snippetsDir: optionalDir('metadata', 'snippets'),
    partialsDir: optionalDir('metadata', 'partials'),
  };
}

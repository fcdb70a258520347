import { z } from 'zod';

/**
 * Spin manifest v2 (`spin_manifest_version = 2`) as typed, validated data. Key names stay as Spin
 * spells them in TOML, so a reader can hold this file next to Spin's documentation. Objects are
 * strict: Spin rejects unknown keys (`deny_unknown_fields`), and a typo here should fail loudly.
 * The subset covers what AuthorWorks uses plus the common keys of the published schema; the test
 * against `spin-manifest-v2.json` keeps the two in step.
 */

/** Component ids and variable names: lowercase words separated by `-` (ids) or `_` (variables). */
export const componentId = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case: lowercase letters, digits and single hyphens');
export const variableName = z
  .string()
  .regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, 'must be snake_case: lowercase letters, digits and single underscores');

export const variable = z
  .strictObject({
    default: z.string().optional(),
    required: z.boolean().optional(),
    secret: z.boolean().optional(),
  })
  .refine((v) => !(v.required && v.default !== undefined), {
    message: 'a variable cannot be both required and have a default',
  })
  .refine((v) => v.required || v.default !== undefined, {
    message: 'a variable needs a default unless it is required',
  });

export const httpRoute = z.union([
  z.string().startsWith('/', 'an HTTP route must begin with /'),
  z.strictObject({ private: z.literal(true) }),
]);

export const httpTrigger = z.strictObject({
  route: httpRoute,
  component: componentId,
  executor: z
    .union([z.strictObject({ type: z.literal('spin') }), z.strictObject({ type: z.literal('wagi') }).passthrough()])
    .optional(),
});

export const redisTrigger = z.strictObject({
  channel: z.string().min(1),
  component: componentId,
  address: z.string().min(1).optional(),
});

export const componentSource = z.union([
  z.string().min(1),
  z.strictObject({ url: z.url(), digest: z.string().startsWith('sha256:') }),
]);

export const filesMount = z.union([
  z.string(),
  z.strictObject({ source: z.string(), destination: z.string().startsWith('/') }),
]);

export const componentBuild = z.strictObject({
  command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  workdir: z.string().optional(),
  watch: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
});

export const component = z.strictObject({
  description: z.string().optional(),
  source: componentSource,
  files: z.array(filesMount).optional(),
  exclude_files: z.array(z.string()).optional(),
  allowed_outbound_hosts: z.array(z.string()).optional(),
  key_value_stores: z.array(z.string().min(1)).optional(),
  sqlite_databases: z.array(z.string().min(1)).optional(),
  ai_models: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  variables: z.record(variableName, z.string()).optional(),
  build: componentBuild.optional(),
});

export const application = z.strictObject({
  name: z.string().min(1),
  version: z.string().optional(),
  description: z.string().optional(),
  authors: z.array(z.string()).optional(),
  trigger: z
    .strictObject({
      http: z.strictObject({ base: z.string().startsWith('/') }).optional(),
      redis: z.strictObject({ address: z.string().min(1) }).optional(),
    })
    .optional(),
});

export const manifest = z.strictObject({
  spin_manifest_version: z.literal(2, 'only Spin manifest version 2 is supported'),
  application,
  variables: z.record(variableName, variable).default({}),
  trigger: z
    .strictObject({
      http: z.array(httpTrigger).optional(),
      redis: z.array(redisTrigger).optional(),
    })
    .default({}),
  component: z.record(componentId, component).default({}),
});

export type Manifest = z.infer<typeof manifest>;
export type ManifestVariable = z.infer<typeof variable>;
export type HttpTrigger = z.infer<typeof httpTrigger>;
export type RedisTrigger = z.infer<typeof redisTrigger>;
export type Component = z.infer<typeof component>;
export type ComponentBuild = z.infer<typeof componentBuild>;

/**
 * Loads the deployment files the way their programs read them: docker-compose.yml as YAML with
 * merge keys (x-* anchors), Traefik's dynamic files rendered as Traefik renders them, the runtime
 * config as TOML, spin-all.toml through the project's manifest model.
 */
import { readdirSync } from 'node:fs';
import { loadManifest, type LoadedManifest } from '@authorworks/spin-manifest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { readRepoFile, repoPath } from './repo-files.ts';
import { renderTraefikTemplate } from './traefik-template.ts';

export interface ComposeHealthcheck {
  test?: string | string[];
}
export interface ComposeService {
  image?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  working_dir?: string;
  restart?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  networks?: string[] | Record<string, unknown>;
  ports?: unknown[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: ComposeHealthcheck;
  deploy?: { resources?: { limits?: { memory?: string }; reservations?: { memory?: string } } };
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

export function composeText(): string {
  return readRepoFile('docker-compose.yml');
}

/** The compose file as data, anchors and `<<` merges resolved, interpolation not yet applied. */
export function loadComposeData(text = composeText()): unknown {
  return parseYaml(text, { merge: true });
}

/** Every string in the compose file's data (where Compose interpolates; comments are not data). */
export function composeStrings(data: unknown = loadComposeData()): string[] {
  if (typeof data === 'string') return [data];
  if (Array.isArray(data)) return data.flatMap((item) => composeStrings(item));
  if (data !== null && typeof data === 'object') return Object.values(data).flatMap((item) => composeStrings(item));
  return [];
}

/** Call only after the data passed the Compose schema (compose.test.ts checks that). */
export function loadCompose(text = composeText()): ComposeFile {
  return loadComposeData(text) as ComposeFile;
}

export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

export function serviceNetworks(service: ComposeService): string[] {
  const networks = service.networks ?? ['default'];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short-syntax volumes `source:target[:ro]` and long-syntax entries, as one shape. */
export function serviceMounts(service: ComposeService): BindMount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      return { source: volume.source ?? '', target: volume.target, readOnly: volume.read_only === true };
    }
    const [source = '', target = '', mode = ''] = volume.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/**
 * Compose variable interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
 * ${NAME?error}, $NAME, and $$ for a literal dollar. A missing required variable throws, as
 * `docker compose` refuses to start.
 */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (
    _match,
    body: string,
    braced: string | undefined,
    operator: string | undefined,
    argument: string | undefined,
    bare: string | undefined,
  ) => {
    if (body === '$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const unsetOrEmpty = value === undefined || (operator?.startsWith(':') === true && value === '');
    if (operator?.endsWith('-')) return unsetOrEmpty ? (argument ?? '') : (value ?? '');
    if (operator?.endsWith('?')) {
      if (unsetOrEmpty) throw new Error(`required variable ${name} is missing: ${argument ?? ''}`);
      return value ?? '';
    }
    return value ?? '';
  });
}

export interface InterpolationUse {
  name: string;
  /** Set for ${NAME:-default} / ${NAME-default}. */
  fallback?: string;
  required: boolean;
}

/** Every variable a compose text interpolates. */
export function interpolationUses(text: string): InterpolationUse[] {
  const uses: InterpolationUse[] = [];
  for (const match of text.matchAll(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (match[1] === '$') continue;
    const name = (match[2] ?? match[5]) as string;
    const operator = match[3];
    uses.push({
      name,
      required: operator?.endsWith('?') === true,
      ...(operator?.endsWith('-') ? { fallback: match[4] ?? '' } : {}),
    });
  }
  return uses;
}

/** .env.example as ordered entries, each with the comment lines directly above it. */
export interface EnvExampleEntry {
  name: string;
  value: string;
  comment: string[];
}

export function loadEnvExample(text = readRepoFile('.env.example')): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') {
      comment = [];
    } else if (trimmed.startsWith('#')) {
      comment.push(trimmed.replace(/^#\s?/, ''));
    } else {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
      if (!match) throw new Error(`.env.example: cannot read line "${line}"`);
      entries.push({ name: match[1] as string, value: match[2] as string, comment });
      comment = [];
    }
  }
  return entries;
}

export function traefikDynamicFiles(): string[] {
  return readdirSync(repoPath('traefik/dynamic'))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `traefik/dynamic/${name}`);
}

export interface TraefikRouter {
  entryPoints?: string[];
  rule: string;
  priority?: number;
  middlewares?: string[];
  service: string;
  tls?: Record<string, unknown>;
}
export interface TraefikHeaders {
  customRequestHeaders?: Record<string, string>;
  customResponseHeaders?: Record<string, string>;
  accessControlAllowOriginList?: string[];
  accessControlAllowOriginListRegex?: string[];
  accessControlAllowMethods?: string[];
  [key: string]: unknown;
}
export interface TraefikMiddleware {
  headers?: TraefikHeaders;
  forwardAuth?: { address: string; trustForwardHeader?: boolean; authResponseHeaders?: string[] };
  rateLimit?: { average?: number | string; burst?: number; period?: string | number };
  compress?: { includedContentTypes?: string[]; excludedContentTypes?: string[] };
  errors?: { status?: string[]; service?: string; query?: string };
  replacePath?: { path: string };
  [key: string]: unknown;
}
export interface TraefikService {
  loadBalancer?: {
    servers?: { url: string }[];
    passHostHeader?: boolean;
    healthCheck?: { path?: string; interval?: string; timeout?: string };
  };
}
export interface TraefikDynamic {
  http: {
    routers: Record<string, TraefikRouter>;
    middlewares: Record<string, TraefikMiddleware>;
    services: Record<string, TraefikService>;
  };
}

/** A sample environment for rendering Traefik's templates, as docker-compose.yml would pass it. */
export const sampleTraefikEnv = {
  AUTHORWORKS_API_HOST: 'api.example.test',
  MINIO_PUBLIC_HOST: 's3.example.test',
  CORS_ORIGINS: 'https://app.example.test, https://writer.example.test',
  PROXY_SECRET: 'proxy-secret-sample-value',
  AUTHELIA_FORWARD_AUTH_URL: '',
} as const;

/** Traefik's view of one dynamic file: Go template rendered with `env`, then YAML. */
export function loadTraefikDynamicData(text: string, env: Readonly<Record<string, string>> = sampleTraefikEnv): unknown {
  return parseYaml(renderTraefikTemplate(text, env));
}

/** Call only for data that passed the Traefik dynamic schema (traefik.test.ts checks that). */
export function loadTraefikDynamic(env: Readonly<Record<string, string>> = sampleTraefikEnv): TraefikDynamic {
  const merged: TraefikDynamic = { http: { routers: {}, middlewares: {}, services: {} } };
  for (const file of traefikDynamicFiles()) {
    const data = loadTraefikDynamicData(readRepoFile(file), env) as Partial<TraefikDynamic>;
    Object.assign(merged.http.routers, data.http?.routers);
    Object.assign(merged.http.middlewares, data.http?.middlewares);
    Object.assign(merged.http.services, data.http?.services);
  }
  return merged;
}

/** Middleware references may carry a provider suffix (`name@file`). */
export function middlewareName(reference: string): string {
  return reference.replace(/@file$/, '');
}

export interface TraefikStatic {
  entryPoints: Record<string, { address: string; forwardedHeaders?: { insecure?: boolean; trustedIPs?: string[] } }>;
  ping?: { entryPoint?: string };
  providers?: { file?: { directory?: string; filename?: string; watch?: boolean } };
  api?: { dashboard?: boolean; insecure?: boolean };
}

export function loadTraefikStaticData(): unknown {
  return parseYaml(readRepoFile('traefik/traefik.yml'));
}

export function loadRuntimeConfig(): Record<string, unknown> {
  return parseToml(readRepoFile('runtime-config.toml'));
}

export function loadSpinApp(): Promise<LoadedManifest> {
  return loadManifest(repoPath('spin-all.toml'));
}

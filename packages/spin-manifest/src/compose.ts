import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ManifestError } from './errors.ts';
import type { LoadedManifest } from './load.ts';
import type { Component, HttpTrigger, Manifest, ManifestVariable, RedisTrigger } from './schema.ts';

export interface ComposeOptions {
  /** Directory the composed manifest is written to; every path in it is relative to this. */
  root: string;
  application: Manifest['application'];
}

/** One input manifest's share of the composed app, in input order, so the output can be read per service. */
export interface ComposedSection {
  /** The input manifest's path relative to the root. */
  file: string;
  componentIds: string[];
  httpCount: number;
  redisCount: number;
}

export interface ComposedApp {
  manifest: Manifest;
  sections: ComposedSection[];
}

/** Where each part of the composed app came from, for error messages. */
interface Origin {
  file: string;
}

/** `/v1/users/...` and `/v1/users/:id` style routes reduced to what they match. */
export function routeKey(route: string): string {
  const trimmed = route.length > 1 ? route.replace(/\/+$/, '') : route;
  return trimmed.replace(/\/:[^/]+/g, '/:');
}

const toPosix = (path: string) => path.split('\\').join('/');

function rebaseComponent(component: Component, from: LoadedManifest, root: string, id: string): Component {
  const rebased: Component = { ...component };
  if (typeof component.source === 'string') {
    const absolute = resolve(from.dir, component.source);
    if (!existsSync(absolute)) {
      throw new ManifestError(
        from.file,
        `component.${id}.source`,
        `${component.source} does not exist (build it with \`pnpm build --filter ${id}\`)`,
      );
    }
    rebased.source = toPosix(relative(root, absolute));
  }
  if (component.files) {
    rebased.files = component.files.map((mount) =>
      typeof mount === 'string'
        ? toPosix(relative(root, resolve(from.dir, mount)))
        : { ...mount, source: toPosix(relative(root, resolve(from.dir, mount.source))) },
    );
  }
  if (component.build) {
    const workdir = toPosix(relative(root, resolve(from.dir, component.build.workdir ?? '.'))) || '.';
    rebased.build = { ...component.build, workdir };
  }
  return rebased;
}

function sameVariable(a: ManifestVariable, b: ManifestVariable): boolean {
  return a.default === b.default && Boolean(a.required) === Boolean(b.required) && Boolean(a.secret) === Boolean(b.secret);
}

/**
 * Composes several Spin apps into one: every component, trigger and variable, with paths made
 * relative to `options.root`. Rejects what Spin would reject or silently get wrong when the apps
 * meet: one component id twice, two HTTP routes matching the same paths, one variable with two
 * different settings, a missing component source, a Redis trigger with no address.
 */
export function composeManifests(inputs: readonly LoadedManifest[], options: ComposeOptions): ComposedApp {
  const variables = new Map<string, { value: ManifestVariable; origin: Origin }>();
  const components = new Map<string, { value: Component; origin: Origin }>();
  const routes = new Map<string, Origin & { key: string }>();
  const http: HttpTrigger[] = [];
  const redis: (RedisTrigger & { address: string })[] = [];
  const sections: ComposedSection[] = [];

  for (const input of inputs) {
    const { manifest, file } = input;
    sections.push({
      file: toPosix(relative(options.root, file)),
      componentIds: Object.keys(manifest.component),
      httpCount: manifest.trigger.http?.length ?? 0,
      redisCount: manifest.trigger.redis?.length ?? 0,
    });
    for (const [name, value] of Object.entries(manifest.variables)) {
      const seen = variables.get(name);
      if (seen && !sameVariable(seen.value, value)) {
        throw new ManifestError(file, `variables.${name}`, 'declared with different settings in two manifests', [seen.origin.file]);
      }
      if (!seen) variables.set(name, { value, origin: { file } });
    }
    for (const [id, component] of Object.entries(manifest.component)) {
      const seen = components.get(id);
      if (seen) throw new ManifestError(file, `component.${id}`, 'component id already used', [seen.origin.file]);
      components.set(id, { value: rebaseComponent(component, input, options.root, id), origin: { file } });
    }
    (manifest.trigger.http ?? []).forEach((trigger, i) => {
      const key = `trigger.http[${i}].route`;
      if (typeof trigger.route === 'string') {
        const routeId = routeKey(trigger.route);
        const seen = routes.get(routeId);
        if (seen) {
          throw new ManifestError(file, key, `route "${trigger.route}" collides with ${seen.key}`, [seen.file]);
        }
        routes.set(routeId, { file, key });
      }
      http.push(trigger);
    });
    (manifest.trigger.redis ?? []).forEach((trigger, i) => {
      const address = trigger.address ?? manifest.application.trigger?.redis?.address;
      if (!address) {
        throw new ManifestError(
          file,
          `trigger.redis[${i}]`,
          'Redis trigger without an address: set `address` on it or `[application.trigger.redis] address`',
        );
      }
      redis.push({ ...trigger, address });
    });
  }

  const addresses = new Set(redis.map((t) => t.address));
  const sharedAddress = addresses.size === 1 ? [...addresses][0] : undefined;
  const application: Manifest['application'] = { ...options.application };
  if (sharedAddress) application.trigger = { ...application.trigger, redis: { address: sharedAddress } };

  const trigger: Manifest['trigger'] = {};
  if (http.length) trigger.http = http;
  if (redis.length) {
    trigger.redis = redis.map(({ address, ...rest }) => (sharedAddress ? rest : { ...rest, address }));
  }

  const manifest: Manifest = {
    spin_manifest_version: 2,
    application,
    variables: Object.fromEntries([...variables].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.value])),
    trigger,
    component: Object.fromEntries([...components].map(([k, v]) => [k, v.value])),
  };
  return { manifest, sections };
}


import { describe, expect, it } from 'vitest';
import {
  asList,
  loadCompose,
  loadSpinApp,
  loadTraefikDynamic,
  middlewareName,
  sampleTraefikEnv,
  serviceNetworks,
} from './deployment-files.ts';
import { pickRouter } from './traefik-rule.ts';

const { manifest } = await loadSpinApp();
const compose = loadCompose();
const { routers, services } = loadTraefikDynamic().http;
const apiHost = sampleTraefikEnv.AUTHORWORKS_API_HOST;

/** `/v1/content/...` → `/v1/content`: the prefix each service owns. */
const v1Prefixes = (manifest.trigger.http ?? [])
  .map((trigger) => trigger.route)
  .filter((route): route is string => typeof route === 'string' && route.startsWith('/v1/'))
  .map((route) => route.replace(/\/\.\.\.$/, ''));

/** Where the `spin` compose service listens, as Traefik on the compose network reaches it. */
function spinUpstream(): string {
  const spin = compose.services.spin;
  const args = [...asList(spin?.entrypoint), ...asList(spin?.command)];
  const listen = args[args.indexOf('--listen') + 1] ?? '';
  return `http://spin:${listen.split(':').pop() ?? ''}`;
}

function routeTo(path: string, host: string = apiHost) {
  const picked = pickRouter(routers, { host, path });
  if (!picked) return undefined;
  const [name, router] = picked;
  return { name, router, servers: services[router.service]?.loadBalancer?.servers?.map((s) => s.url) ?? [] };
}

describe("Traefik routes every /v1 prefix of spin-all.toml to the Spin runtime", () => {
  it('spin-all.toml has the eight services’ prefixes (the list this test walks)', () => {
    expect(v1Prefixes.sort()).toEqual(
      ['/v1/audio', '/v1/content', '/v1/editor', '/v1/graphics', '/v1/messaging', '/v1/storage', '/v1/users', '/v1/video'].sort(),
    );
  });

  it('the Spin upstream is the `spin` compose service on a network Traefik shares', () => {
    expect(spinUpstream()).toBe('http://spin:3000');
    const shared = serviceNetworks(compose.services.traefik ?? {}).filter((n) => serviceNetworks(compose.services.spin ?? {}).includes(n));
    expect(shared).not.toEqual([]);
  });

  it.each(v1Prefixes)('%s: the prefix itself, a sub-path and a deep path reach Spin', (prefix) => {
    for (const path of [prefix, `${prefix}/health`, `${prefix}/a/b/c`]) {
      const route = routeTo(path);
      expect(route, `${path} is not routed`).toBeDefined();
      expect(route?.servers, path).toEqual([spinUpstream()]);
    }
  });

  it.each(v1Prefixes)('%s: only the user service receives the proxy secret', (prefix) => {
    const chain = (routeTo(`${prefix}/health`)?.router.middlewares ?? []).map(middlewareName);
    expect(chain.includes('proxy-secret'), prefix).toBe(prefix === '/v1/users');
    expect(chain).toContain('strip-identity-headers');
  });

  it("sends every other path on the API host to Spin's catch-all (the platform component), and nothing on other hosts", () => {
    for (const path of ['/', '/docs', '/docs/assets/swagger-ui-bundle.0123abcd.js', '/v1', '/V1/USERS/ME', '/anything/else', '/errors/500']) {
      const route = routeTo(path);
      expect(route?.name, path).toBe('authorworks-platform');
      expect(route?.servers, path).toEqual([spinUpstream()]);
    }
    expect(manifest.trigger.http?.find((trigger) => trigger.route === '/...')?.component).toBe('platform-api');
    expect(routeTo('/v1/users/me', 'other.example.test')).toBeUndefined();
    expect(routeTo('/docs', 'other.example.test')).toBeUndefined();
  });

  it("never lets a client reach Spin's own /.well-known/spin/ endpoints: they become the platform's 404 page", () => {
    for (const path of ['/.well-known/spin/health', '/.well-known/spin/info']) {
      const route = routeTo(path);
      expect(route?.name, path).toBe('spin-well-known');
      const chain = (route?.router.middlewares ?? []).map(middlewareName);
      expect(chain.at(-1), path).toBe('not-found-page');
    }
    expect(loadTraefikDynamic().http.middlewares['not-found-page']).toEqual({ replacePath: { path: '/errors/404' } });
  });

  it('the reference page lists exactly the /v1 prefixes of spin-all.toml (the platform’s reference_apis)', () => {
    const listed = (manifest.variables.reference_apis?.default ?? '').split(/[\s,]+/).filter(Boolean);
    expect([...listed].sort()).toEqual([...v1Prefixes].sort());
  });

  it('a look-alike prefix (/v1/usersX) never gets the user-service chain with the proxy secret', () => {
    expect(routeTo('/v1/usersX/me')?.name).toBe('authorworks-api');
  });

  it('routes the MinIO public host to MinIO for presigned URLs, passing the Host header MinIO signs', () => {
    const route = routeTo('/authorworks/some/object', sampleTraefikEnv.MINIO_PUBLIC_HOST);
    expect(route?.servers).toEqual(['http://minio:9000']);
    expect(services.minio?.loadBalancer?.passHostHeader).toBe(true);
  });
});

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

  it('does not expose anything outside /v1 on the API host, nor the API on other hosts', () => {
    expect(routeTo('/.well-known/spin/health')).toBeUndefined();
    expect(routeTo('/.well-known/spin/info')).toBeUndefined();
    expect(routeTo('/')).toBeUndefined();
    expect(routeTo('/v1')).toBeUndefined();
    expect(routeTo('/v1/users/me', 'other.example.test')).toBeUndefined();
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

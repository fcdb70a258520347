import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  loadCompose,
  loadTraefikDynamic,
  loadTraefikDynamicData,
  loadTraefikStaticData,
  loadSpinApp,
  middlewareName,
  sampleTraefikEnv,
  serviceEnvironment,
  traefikDynamicFiles,
  type TraefikDynamic,
  type TraefikStatic,
} from './deployment-files.ts';
import { readRepoFile } from './repo-files.ts';
import { schemaErrors, validateTraefikDynamic, validateTraefikStatic } from './schemas.ts';
import { renderTraefikTemplate, templateEnvNames } from './traefik-template.ts';

/** Headers a client could send to impersonate someone, and the secret that vouches for Traefik. */
const identityHeaders = ['Remote-User', 'Remote-Email', 'Remote-Groups', 'Remote-Name', 'X-User-Id', 'X-User-Roles'];
const proxySecretHeader = 'X-Authorworks-Proxy-Secret';

const staticConfig = loadTraefikStaticData() as TraefikStatic;
const dynamic = loadTraefikDynamic();
const { routers, middlewares, services } = dynamic.http;
const dynamicText = readRepoFile('traefik/dynamic/authorworks.yml');

function chain(router: string): string[] {
  return (routers[router]?.middlewares ?? []).map(middlewareName);
}

describe('traefik/traefik.yml (static configuration)', () => {
  it('is valid against the Traefik v3 static configuration schema', () => {
    expect(schemaErrors(validateTraefikStatic, staticConfig)).toEqual([]);
  });

  it('listens on 80 (redirecting to HTTPS) and 443, plus an unpublished ping entry point for health checks', () => {
    expect(staticConfig.entryPoints.web?.address).toBe(':80');
    expect(staticConfig.entryPoints.websecure?.address).toBe(':443');
    expect(staticConfig.ping?.entryPoint).toBe('ping');
    expect(staticConfig.entryPoints.ping?.address).toBe(':8082');
    expect(loadCompose().services.traefik?.ports).not.toContain('8082:8082');
  });

  it('trusts no client-sent X-Forwarded-* headers, so X-Real-Ip and X-Forwarded-For name the real client', () => {
    // Traefik deletes those headers from untrusted peers and sets them itself; the user service's
    // per-address login throttle relies on that behind this proxy.
    for (const [name, entryPoint] of Object.entries(staticConfig.entryPoints)) {
      expect(entryPoint.forwardedHeaders?.insecure ?? false, name).toBe(false);
      expect(entryPoint.forwardedHeaders?.trustedIPs ?? [], name).toEqual([]);
    }
  });

  it('loads the dynamic configuration from the folder docker-compose.yml mounts, and exposes no API', () => {
    expect(staticConfig.providers?.file?.directory).toBe('/etc/traefik/dynamic');
    expect(staticConfig.api?.dashboard).toBe(false);
    expect(staticConfig.api?.insecure).toBe(false);
  });
});

describe('traefik/dynamic (file provider)', () => {
  it.each(traefikDynamicFiles())('%s is valid against the Traefik v3 file-provider schema, before and after templating', (file) => {
    const text = readRepoFile(file);
    expect(schemaErrors(validateTraefikDynamic, parseYaml(text))).toEqual([]);
    expect(schemaErrors(validateTraefikDynamic, loadTraefikDynamicData(text))).toEqual([]);
  });

  it('reads from the environment only variables docker-compose.yml passes to the Traefik container', () => {
    const passed = Object.keys(serviceEnvironment(loadCompose().services.traefik ?? {}));
    for (const file of traefikDynamicFiles()) {
      for (const name of templateEnvNames(readRepoFile(file))) expect(passed, `${file} reads ${name}`).toContain(name);
    }
  });

  it('refers only to middlewares, services and entry points that exist', () => {
    for (const [name, router] of Object.entries(routers)) {
      expect(services[router.service], `${name} → service ${router.service}`).toBeDefined();
      for (const m of router.middlewares ?? []) expect(middlewares[middlewareName(m)], `${name} → middleware ${m}`).toBeDefined();
      for (const e of router.entryPoints ?? []) expect(staticConfig.entryPoints[e], `${name} → entry point ${e}`).toBeDefined();
      expect(router.entryPoints, name).toEqual(['websecure']);
    }
  });

  it("health-checks the Spin runtime on Spin's own health endpoint", () => {
    expect(services.spin?.loadBalancer?.healthCheck?.path).toBe('/.well-known/spin/health');
    expect(services.spin?.loadBalancer?.servers).toEqual([{ url: 'http://spin:3000' }]);
  });

  it('deletes every client-sent identity header and any client-sent proxy secret, on every router', () => {
    const strip = middlewares['strip-identity-headers']?.headers?.customRequestHeaders ?? {};
    for (const header of [...identityHeaders, proxySecretHeader]) expect(strip[header], header).toBe('');
    for (const name of Object.keys(routers)) expect(chain(name), name).toContain('strip-identity-headers');
  });

  // Spin copies client headers and appends its own (v4.0.2 crates/trigger-http/src/headers.rs
  // `prepare_request_headers`; wasi.rs `prepare_request` extends the map): without this, a
  // client-sent Spin-Client-Addr reaches the component first. The names are `compute_default_headers`'
  // through `prepare_header_key`, and SPIN_PATH_MATCH_<NAME> for each `:name` of a route.
  it('deletes every client-sent header Spin sets, on every router to Spin', async () => {
    const { manifest } = await loadSpinApp();
    const pathMatches = (manifest.trigger.http ?? []).flatMap((t) =>
      typeof t.route === 'string' ? [...t.route.matchAll(/\/:([^/]+)/g)].map((m) => `spin-path-match-${(m[1] ?? '').replace(/_/g, '-').toLowerCase()}`) : [],
    );
    const spinSet = ['spin-full-url', 'spin-path-info', 'spin-matched-route', 'spin-base-path', 'spin-raw-component-route', 'spin-component-route', 'spin-client-addr', ...pathMatches];
    const strip = middlewares['strip-spin-headers']?.headers?.customRequestHeaders ?? {};
    expect(Object.fromEntries(Object.entries(strip).map(([name, value]) => [name.toLowerCase(), value]))).toEqual(Object.fromEntries(spinSet.map((h) => [h, ''])));
    for (const [name, router] of Object.entries(routers)) if (router.service === 'spin') expect(chain(name), name).toContain('strip-spin-headers');
  });

  it('adds the proxy secret from the environment, only on the user-service router and after the stripping', () => {
    expect(dynamicText).toContain(`${proxySecretHeader}: '{{ env "PROXY_SECRET" }}'`);
    expect(middlewares['proxy-secret']?.headers?.customRequestHeaders).toEqual({ [proxySecretHeader]: sampleTraefikEnv.PROXY_SECRET });
    const users = chain('authorworks-users');
    expect(users.indexOf('strip-identity-headers')).toBeLessThan(users.indexOf('proxy-secret'));
    for (const name of Object.keys(routers).filter((n) => n !== 'authorworks-users')) expect(chain(name), name).not.toContain('proxy-secret');
  });

  it('applies rate limiting, CORS, compression and security headers to the API routers', () => {
    expect(middlewares['rate-limit']?.rateLimit?.average).toBeGreaterThan(0);
    expect(middlewares.compress?.compress?.includedContentTypes).toContain('application/json');
    expect(middlewares.compress?.compress?.includedContentTypes).not.toContain('text/event-stream');
    const security = middlewares['security-headers']?.headers ?? {};
    expect(security.stsSeconds).toBeGreaterThan(0);
    expect(security.contentTypeNosniff).toBe(true);
    for (const name of ['authorworks-users', 'authorworks-api']) {
      expect(chain(name), name).toEqual(expect.arrayContaining(['rate-limit', 'cors', 'compress', 'security-headers']));
    }
  });

  describe('error envelopes (the errors middleware and the platform component)', () => {
    it("replaces Spin's empty 500 and Traefik's 502 and 504 by the platform's /errors/{status} page, and nothing else", () => {
      // 4xx and 503 stay the services' own: they carry specific codes, details and Retry-After,
      // which Traefik would drop with the response it replaces.
      expect(middlewares['envelope-errors']).toEqual({ errors: { status: ['500', '502', '504'], service: 'spin', query: '/errors/{status}' } });
    });

    it('is the last middleware of every router to Spin, so the headers middlewares before it apply to the error page too', () => {
      const toSpin = Object.entries(routers).filter(([name, router]) => router.service === 'spin' && name !== 'spin-well-known');
      expect(toSpin.map(([name]) => name).sort()).toEqual(['authorworks-api', 'authorworks-platform', 'authorworks-users']);
      for (const [name] of toSpin) expect(chain(name).at(-1), name).toBe('envelope-errors');
    });

    it('asks a page the platform component routes: GET /errors/:status on its catch-all', () => {
      const routes = readRepoFile('services/platform/src/index.ts');
      expect(routes).toContain(".get('/errors/:status', errorPage)");
      const pages = readRepoFile('services/platform/src/error-pages.ts');
      for (const status of middlewares['envelope-errors']?.errors?.status ?? []) expect(pages, status).toContain(`'${status}': { code: '`);
    });

    it("keeps the reference page's own Content-Security-Policy (the API's would forbid its scripts), and compresses its assets", () => {
      const platform = chain('authorworks-platform');
      expect(platform).toContain('platform-security-headers');
      expect(platform).not.toContain('security-headers');
      const headers = middlewares['platform-security-headers']?.headers ?? {};
      expect(headers.contentSecurityPolicy).toBeUndefined();
      expect(headers.stsSeconds).toBeGreaterThan(0);
      expect(headers.contentTypeNosniff).toBe(true);
      expect(middlewares['compress-reference']?.compress?.includedContentTypes).toEqual(expect.arrayContaining(['text/html', 'text/css', 'text/javascript']));
      expect(platform).toContain('compress-reference');
      // The API routers' compressor never touches what storage serves as scripts or pages.
      expect(middlewares.compress?.compress?.includedContentTypes).not.toContain('text/javascript');
    });
  });

  describe('CORS', () => {
    const allows = (corsOrigins: string, origin: string) => {
      const cors = loadTraefikDynamic({ ...sampleTraefikEnv, CORS_ORIGINS: corsOrigins }).http.middlewares.cors?.headers;
      return (cors?.accessControlAllowOriginListRegex ?? []).some((pattern) => new RegExp(pattern).test(origin));
    };

    it('allows exactly the origins in CORS_ORIGINS', () => {
      const origins = 'https://app.example.test, https://writer.example.test:8443';
      expect(allows(origins, 'https://app.example.test')).toBe(true);
      expect(allows(origins, 'https://writer.example.test:8443')).toBe(true);
      expect(allows(origins, 'https://appXexample.test')).toBe(false); // the dots are escaped
      expect(allows(origins, 'https://app.example.test.evil.test')).toBe(false); // anchored
      expect(allows(origins, 'https://evil.test')).toBe(false);
    });

    it('allows every origin for "*", as the services read cors_origins', () => {
      expect(allows('*', 'https://anything.example')).toBe(true);
    });

    it('allows no cross-origin caller when CORS_ORIGINS is empty', () => {
      expect(allows('', 'https://app.example.test')).toBe(false);
      expect(allows('', 'null')).toBe(false);
    });
  });

  describe('optional Authelia forwardAuth', () => {
    it('is defined, off by default, and hands Authelia identity headers to the user service', () => {
      expect(middlewares.authelia?.forwardAuth?.address).toBe('http://authelia:9091/api/authz/forward-auth');
      expect(middlewares.authelia?.forwardAuth?.authResponseHeaders?.sort()).toEqual(['Remote-Email', 'Remote-Groups', 'Remote-Name', 'Remote-User']);
      for (const name of Object.keys(routers)) expect(chain(name), name).not.toContain('authelia');
    });

    it('turns on as docs/deploy.md says (uncommenting `- authelia`), between stripping and the proxy secret', () => {
      const commented = /^(\s*)# - authelia\s*$/m;
      expect(dynamicText).toMatch(commented);
      expect(readRepoFile('docs/deploy.md')).toContain('# - authelia');
      const enabledText = dynamicText.replace(commented, '$1- authelia');
      const enabled = loadTraefikDynamicData(enabledText, { ...sampleTraefikEnv, AUTHELIA_FORWARD_AUTH_URL: 'http://auth.lan:9091/api/authz/forward-auth' });
      expect(schemaErrors(validateTraefikDynamic, enabled)).toEqual([]);
      const users = ((enabled as TraefikDynamic).http.routers['authorworks-users']?.middlewares ?? []).map(middlewareName);
      expect(users.indexOf('strip-identity-headers')).toBeLessThan(users.indexOf('authelia'));
      expect(users.indexOf('authelia')).toBeLessThan(users.indexOf('proxy-secret'));
      expect((enabled as TraefikDynamic).http.middlewares.authelia?.forwardAuth?.address).toBe('http://auth.lan:9091/api/authz/forward-auth');
    });
  });

  it('renders with an empty environment without inventing values (empty host, no secret header value)', () => {
    const bare = loadTraefikDynamic({});
    expect(bare.http.middlewares['proxy-secret']?.headers?.customRequestHeaders?.[proxySecretHeader]).toBe('');
    expect(bare.http.routers['authorworks-api']?.rule).toContain('Host(``)');
    expect(renderTraefikTemplate(dynamicText, {})).not.toContain('{{');
  });
});

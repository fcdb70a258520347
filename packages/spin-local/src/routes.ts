/**
 * Spin's HTTP routing: exact routes, `:name` single-segment wildcards and trailing `/...` (or
 * `/*`) wildcards; when several routes match, the most specific wins (an exact segment beats a
 * `:name`, which beats a trailing wildcard; an exact route beats any wildcard). Private routes
 * are reachable only from other components, never from the listener. Two triggers with the same
 * route string: the later one wins and the earlier is reported (Spin v4.0.2
 * crates/routes/src/lib.rs `Router::build`, crates/trigger-http/src/server.rs).
 */

type Segment = { literal: string } | { param: string };

export interface RouteEntry {
  component: string;
  /** The route exactly as the manifest writes it, or `undefined` for a private component. */
  route: string | undefined;
  segments: Segment[];
  trailingWildcard: boolean;
}

export interface RouteMatch {
  entry: RouteEntry;
  /** The route as declared (`/v1/users/...`). */
  rawRoute: string;
  /** The declared route without its trailing `/...` (`/v1/users`; empty for `/...`). */
  componentRoute: string;
  /** The part of the path after the matched prefix (empty for an exact match). */
  pathInfo: string;
  params: Record<string, string>;
}

export interface HttpTriggerSpec {
  route: string | { private: true };
  component: string;
}

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

export function parseRoute(component: string, route: string | { private: true }): RouteEntry {
  if (typeof route !== 'string') return { component, route: undefined, segments: [], trailingWildcard: false };
  // Spin's `parse_route` treats a trailing `/*` exactly like `/...`.
  const suffix = route === '/...' || route.endsWith('/...') ? '/...' : route === '/*' || route.endsWith('/*') ? '/*' : '';
  const trailingWildcard = suffix !== '';
  const base = route.slice(0, route.length - suffix.length);
  const segments: Segment[] = base === '' || base === '/' ? [] : splitPath(base).map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
  return { component, route, segments, trailingWildcard };
}

/** Ranks for comparing matches: literal 2, param 1, then 0 for a trailing wildcard or 3 for the end of an exact route. */
function specificity(entry: RouteEntry): number[] {
  return [...entry.segments.map((s) => ('literal' in s ? 2 : 1)), entry.trailingWildcard ? 0 : 3];
}

function compareSpecificity(a: RouteEntry, b: RouteEntry): number {
  const ra = specificity(a);
  const rb = specificity(b);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const diff = (rb[i] ?? -1) - (ra[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

function matchEntry(entry: RouteEntry, path: string): RouteMatch | undefined {
  if (entry.route === undefined) return undefined;
  const parts = path === '/' ? [] : splitPath(path);
  // `/cart` as an exact route matches `/cart` only; a trailing wildcard also matches its base.
  if (entry.trailingWildcard ? parts.length < entry.segments.length : parts.length !== entry.segments.length) {
    // `/` matched by an exact `/` route: both have no segments.
    return undefined;
  }
  const params: Record<string, string> = {};
  for (const [i, segment] of entry.segments.entries()) {
    const part = parts[i] ?? '';
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      // Spin passes the captured segment as it stood in the request path, still percent-encoded.
      params[segment.param] = part;
    }
  }
  const consumed = entry.segments.length;
  const rest = parts.slice(consumed);
  const pathInfo = entry.trailingWildcard && rest.length > 0 ? `/${rest.join('/')}` : '';
  // Spin's `raw_route_or_prefix` strips only `/...`: a `/*` route keeps its `/*` here.
  const componentRoute = entry.route.endsWith('/...') ? entry.route.slice(0, -'/...'.length) : entry.route;
  return { entry, rawRoute: entry.route, componentRoute, pathInfo, params };
}

export interface DuplicateRoute {
  route: string;
  /** The component whose trigger is never used. */
  replaced: string;
  /** The component that serves the route. */
  effective: string;
}

export class RouteTable {
  readonly entries: RouteEntry[];
  /** Routes declared twice; Spin logs these as errors at start-up. */
  readonly duplicates: DuplicateRoute[] = [];

  constructor(triggers: readonly HttpTriggerSpec[]) {
    // Spin keys its table by the route string (an IndexMap): a later trigger replaces an earlier
    // one with the same route, in the earlier one's place.
    const byRoute = new Map<string, RouteEntry>();
    const privateEntries: RouteEntry[] = [];
    for (const trigger of triggers) {
      const entry = parseRoute(trigger.component, trigger.route);
      if (entry.route === undefined) {
        privateEntries.push(entry);
        continue;
      }
      const replaced = byRoute.get(entry.route);
      if (replaced) this.duplicates.push({ route: entry.route, replaced: replaced.component, effective: entry.component });
      byRoute.set(entry.route, entry);
    }
    this.entries = [...byRoute.values(), ...privateEntries];
  }

  /** The most specific public route matching `path` (no query string). */
  match(path: string): RouteMatch | undefined {
    let best: RouteMatch | undefined;
    for (const entry of this.entries) {
      const match = matchEntry(entry, path);
      if (match && (!best || compareSpecificity(match.entry, best.entry) < 0)) best = match;
    }
    return best;
  }

  /** Public routes, most specific first, for the start-up banner. */
  publicRoutes(): RouteEntry[] {
    return this.entries.filter((e) => e.route !== undefined);
  }

  /** For a `<id>.spin.internal` request: the component's own route, private or not. */
  routeOfComponent(component: string): RouteEntry | undefined {
    return this.entries.find((e) => e.component === component);
  }
}

/**
 * The match Spin makes for a `<id>.spin.internal` request: whatever the component's own route,
 * it is handled as if routed by `/...` with the whole path as path info (`RouteMatch::synthetic`
 * in crates/routes/src/lib.rs, used by crates/trigger-http/src/outbound_http.rs).
 */
export function matchForComponent(entry: RouteEntry, path: string): RouteMatch {
  return { entry, rawRoute: '/...', componentRoute: '', pathInfo: path, params: {} };
}

/** The client address Spin gives a chained (`*.spin.internal`) request: `0.0.0.0:0`. */
export const chainedClientAddr = '0.0.0.0:0';

/**
 * A socket address as Rust's `SocketAddr` prints it — Spin's `spin-client-addr`: `a.b.c.d:port`,
 * `[v6]:port`. An IPv4 client seen through a dual-stack socket (`::ffff:a.b.c.d`, as Node
 * reports it) is printed as IPv4, as on a Spin listener bound to an IPv4 address.
 */
export function formatClientAddr(address: string | undefined, port: number | undefined): string {
  const ip = address ?? '127.0.0.1';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `${mapped[1]}:${port ?? 0}`;
  return ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** `spin-path-match-<name>`: Spin upper-cases the name and turns `_` into `-` (headers.rs, `prepare_header_key`). */
export function pathMatchHeader(name: string): string {
  return `spin-path-match-${name.replace(/_/g, '-').replace(/[A-Z]/g, (c) => c.toLowerCase())}`;
}

export interface SpinRequestContext {
  fullUrl: string;
  clientAddr: string;
  match: RouteMatch;
}

/** The headers Spin adds to every request it hands a component. */
export function spinHeaders({ fullUrl, clientAddr, match }: SpinRequestContext): [string, string][] {
  const headers: [string, string][] = [
    ['spin-full-url', fullUrl],
    ['spin-path-info', match.pathInfo],
    ['spin-matched-route', match.rawRoute],
    ['spin-base-path', '/'],
    ['spin-raw-component-route', match.rawRoute],
    ['spin-component-route', match.componentRoute],
    ['spin-client-addr', clientAddr],
  ];
  for (const [name, value] of Object.entries(match.params)) headers.push([pathMatchHeader(name), value]);
  return headers;
}

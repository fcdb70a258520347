/**
 * Spin's HTTP routing: exact routes, `:name` single-segment wildcards and trailing `/...`
 * wildcards; when several routes match, the most specific wins (an exact segment beats a
 * `:name`, which beats a trailing wildcard; an exact route beats any wildcard). Private routes
 * are reachable only from other components, never from the listener.
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
  const trailingWildcard = route === '/...' || route.endsWith('/...');
  const base = trailingWildcard ? route.slice(0, -'/...'.length) : route;
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
      params[segment.param] = decodeURIComponent(part);
    }
  }
  const consumed = entry.segments.length;
  const rest = parts.slice(consumed);
  const pathInfo = entry.trailingWildcard && rest.length > 0 ? `/${rest.join('/')}` : '';
  const componentRoute = entry.trailingWildcard ? entry.route.slice(0, -'/...'.length) : entry.route;
  return { entry, rawRoute: entry.route, componentRoute, pathInfo, params };
}

export class RouteTable {
  readonly entries: RouteEntry[];

  constructor(triggers: readonly HttpTriggerSpec[]) {
    this.entries = triggers.map((t) => parseRoute(t.component, t.route));
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

/** Matches `path` against one component's route for an internal request; a private component takes any path. */
export function matchForComponent(entry: RouteEntry, path: string): RouteMatch {
  const match = matchEntry(entry, path);
  if (match) return match;
  return { entry, rawRoute: entry.route ?? '/...', componentRoute: '', pathInfo: path, params: {} };
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
  for (const [name, value] of Object.entries(match.params)) headers.push([`spin-path-match-${name}`, value]);
  return headers;
}

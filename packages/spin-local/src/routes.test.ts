import { describe, expect, it } from 'vitest';
import { RouteTable, formatClientAddr, matchForComponent, spinHeaders } from './routes.ts';

// Cases follow Spin's documentation of HTTP trigger routes ("HTTP Trigger Routes", "Resolving
// overlapping routes", "Private endpoints"): each row is [routes, request path, expected component].
const routingCases: { name: string; routes: [string, string][]; path: string; component: string | undefined }[] = [
  { name: 'exact route matches itself', routes: [['/cart', 'cart']], path: '/cart', component: 'cart' },
  { name: 'exact route does not match below it', routes: [['/cart', 'cart']], path: '/cart/checkout', component: undefined },
  { name: 'exact route does not match a longer name', routes: [['/cart', 'cart']], path: '/carts', component: undefined },
  { name: 'exact route beside a deeper exact route', routes: [['/cart', 'cart'], ['/cart/checkout', 'checkout']], path: '/cart/checkout', component: 'checkout' },
  { name: 'wildcard matches its base', routes: [['/users/...', 'users']], path: '/users', component: 'users' },
  { name: 'wildcard matches one level below', routes: [['/users/...', 'users']], path: '/users/1', component: 'users' },
  { name: 'wildcard matches deeper', routes: [['/users/...', 'users']], path: '/users/1/edit', component: 'users' },
  { name: 'wildcard does not match a sibling prefix', routes: [['/users/...', 'users']], path: '/usersx', component: undefined },
  { name: 'root wildcard matches everything', routes: [['/...', 'all']], path: '/anything/at/all', component: 'all' },
  { name: 'root wildcard matches the root', routes: [['/...', 'all']], path: '/', component: 'all' },
  { name: 'longest wildcard prefix wins', routes: [['/...', 'all'], ['/shop/...', 'shop'], ['/shop/cart/...', 'cart']], path: '/shop/cart/items', component: 'cart' },
  { name: 'shorter wildcard still serves its other paths', routes: [['/...', 'all'], ['/shop/...', 'shop'], ['/shop/cart/...', 'cart']], path: '/shop/list', component: 'shop' },
  { name: 'exact beats wildcard on the same path', routes: [['/users/...', 'users'], ['/users', 'exact']], path: '/users', component: 'exact' },
  { name: 'declaration order does not matter', routes: [['/users', 'exact'], ['/users/...', 'users']], path: '/users', component: 'exact' },
  { name: 'single-segment wildcard matches one segment', routes: [['/users/:userid/edit', 'edit']], path: '/users/alice/edit', component: 'edit' },
  { name: 'single-segment wildcard needs its segment', routes: [['/users/:userid/edit', 'edit']], path: '/users/edit', component: undefined },
  { name: 'single-segment wildcard does not match deeper', routes: [['/users/:userid/edit', 'edit']], path: '/users/1/edit/cart', component: undefined },
  { name: 'exact segment beats single-segment wildcard', routes: [['/users/:id', 'by-id'], ['/users/me', 'me']], path: '/users/me', component: 'me' },
  { name: 'single-segment wildcard beats trailing wildcard', routes: [['/users/...', 'users'], ['/users/:id', 'by-id']], path: '/users/42', component: 'by-id' },
  { name: 'service prefixes do not collide', routes: [['/v1/users/...', 'user-api'], ['/v1/content/...', 'content-api']], path: '/v1/content/books/1', component: 'content-api' },
  { name: 'nothing matches: 404', routes: [['/v1/users/...', 'user-api']], path: '/v2/users', component: undefined },
  // Spin's `Router::parse_route` maps a trailing `/*` to the same wildcard as `/...`.
  { name: 'a trailing /* is a wildcard', routes: [['/files/*', 'files']], path: '/files/a/b', component: 'files' },
  { name: 'a trailing /* matches its base', routes: [['/files/*', 'files']], path: '/files', component: 'files' },
  // Spin keys routes by their string: the last trigger declaring a route wins (`Router::build`).
  { name: 'a duplicated route goes to the last declaration', routes: [['/dup', 'first'], ['/dup', 'second']], path: '/dup', component: 'second' },
];

describe('HTTP routing (Spin rules)', () => {
  it.each(routingCases)('$name', ({ routes, path, component }) => {
    const table = new RouteTable(routes.map(([route, id]) => ({ route, component: id })));
    expect(table.match(path)?.entry.component).toBe(component);
  });

  it('never routes to a private component', () => {
    const table = new RouteTable([{ route: { private: true }, component: 'hidden' }]);
    expect(table.match('/')).toBeUndefined();
    expect(table.match('/hidden')).toBeUndefined();
    expect(table.routeOfComponent('hidden')?.component).toBe('hidden');
    expect(table.publicRoutes()).toEqual([]);
  });

  it('sets the headers Spin sets, for a wildcard route', () => {
    const match = new RouteTable([{ route: '/v1/users/...', component: 'user-api' }]).match('/v1/users/me/prefs');
    if (!match) throw new Error('no match');
    const headers = Object.fromEntries(spinHeaders({ fullUrl: 'http://127.0.0.1:3000/v1/users/me/prefs?x=1', clientAddr: '127.0.0.1:5555', match }));
    expect(headers).toEqual({
      'spin-full-url': 'http://127.0.0.1:3000/v1/users/me/prefs?x=1',
      'spin-path-info': '/me/prefs',
      'spin-matched-route': '/v1/users/...',
      'spin-base-path': '/',
      'spin-raw-component-route': '/v1/users/...',
      'spin-component-route': '/v1/users',
      'spin-client-addr': '127.0.0.1:5555',
    });
  });

  it('gives an empty path info at a wildcard base and for the root wildcard an empty component route', () => {
    const base = new RouteTable([{ route: '/v1/users/...', component: 'u' }]).match('/v1/users');
    expect(base?.pathInfo).toBe('');
    const root = new RouteTable([{ route: '/...', component: 'all' }]).match('/env/api');
    expect(root?.pathInfo).toBe('/env/api');
    expect(root?.componentRoute).toBe('');
  });

  // Spin v4.0.2 crates/trigger-http/src/headers.rs: the header is `SPIN_PATH_MATCH_<NAME upper>`
  // put through `prepare_header_key` (`_` → `-`, lower case); the value is the raw capture.
  it('exposes single-segment values as spin-path-match-<name>, undecoded', () => {
    const match = new RouteTable([{ route: '/users/:user_id/edit/:Tab', component: 'edit' }]).match('/users/al%20ice/edit/x%2Fy');
    if (!match) throw new Error('no match');
    const headers = Object.fromEntries(spinHeaders({ fullUrl: 'x', clientAddr: 'y', match }));
    expect(headers['spin-path-match-user-id']).toBe('al%20ice');
    expect(headers['spin-path-match-tab']).toBe('x%2Fy');
    expect(headers['spin-path-info']).toBe('');
  });

  it('keeps a trailing slash in the path info (crates/routes/src/lib.rs `trailing_wildcard`)', () => {
    const table = new RouteTable([{ route: '/test/...', component: 't' }]);
    expect(table.match('/test/')?.pathInfo).toBe('/');
    expect(table.match('/test/hello/')?.pathInfo).toBe('/hello/');
  });

  it('gives a /* route its raw route as component route (Spin strips only `/...`)', () => {
    const match = new RouteTable([{ route: '/files/*', component: 'files' }]).match('/files/a');
    expect(match && { raw: match.rawRoute, component: match.componentRoute, info: match.pathInfo }).toEqual({ raw: '/files/*', component: '/files/*', info: '/a' });
  });

  it('reports a duplicated route with the component it loses to', () => {
    const table = new RouteTable([
      { route: '/dup', component: 'first' },
      { route: '/other', component: 'other' },
      { route: '/dup', component: 'second' },
    ]);
    expect(table.duplicates).toEqual([{ route: '/dup', replaced: 'first', effective: 'second' }]);
    expect(table.publicRoutes().map((e) => e.component)).toEqual(['second', 'other']);
  });

  it('routes a chained request as Spin\'s synthetic `/...` match, whatever the component\'s route', () => {
    const entry = new RouteTable([{ route: '/v1/users/...', component: 'user-api' }]).routeOfComponent('user-api');
    if (!entry) throw new Error('no entry');
    const headers = Object.fromEntries(spinHeaders({ fullUrl: 'x', clientAddr: '0.0.0.0:0', match: matchForComponent(entry, '/v1/users/me') }));
    expect(headers).toMatchObject({ 'spin-path-info': '/v1/users/me', 'spin-matched-route': '/...', 'spin-component-route': '', 'spin-raw-component-route': '/...' });
  });

  // Rust's `SocketAddr` Display, which Spin uses for `spin-client-addr`.
  it.each([
    ['127.0.0.1', 5555, '127.0.0.1:5555'],
    ['::ffff:10.1.2.3', 80, '10.1.2.3:80'],
    ['::1', 8080, '[::1]:8080'],
    ['2001:db8::7', 1, '[2001:db8::7]:1'],
  ])('formats client address %s port %i as %s', (address, port, expected) => {
    expect(formatClientAddr(address, port)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { RouteTable, spinHeaders } from './routes.ts';

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

  it('exposes single-segment values as spin-path-match-<name>', () => {
    const match = new RouteTable([{ route: '/users/:userid/edit', component: 'edit' }]).match('/users/al%20ice/edit');
    if (!match) throw new Error('no match');
    const headers = Object.fromEntries(spinHeaders({ fullUrl: 'x', clientAddr: 'y', match }));
    expect(headers['spin-path-match-userid']).toBe('al ice');
    expect(headers['spin-path-info']).toBe('');
  });
});

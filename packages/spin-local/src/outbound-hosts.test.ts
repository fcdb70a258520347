import { describe, expect, it } from 'vitest';
import { OutboundHostError, internalComponentId, isAllowedOutbound, parseAllowedHost, resolveAllowedHosts } from './outbound-hosts.ts';

// [allowed_outbound_hosts, url, allowed?] following Spin's rules for the manifest key
// (v4.0.2 crates/outbound-networking-config/src/allowed_hosts.rs).
const cases: [string[], string, boolean][] = [
  [[], 'https://example.com/', false],
  [['https://example.com'], 'https://example.com/path', true],
  [['https://example.com'], 'http://example.com/', false],
  [['https://example.com'], 'https://example.com:8443/', false],
  [['https://example.com:8443'], 'https://example.com:8443/', true],
  [['https://example.com'], 'https://api.example.com/', false],
  [['https://*.example.com'], 'https://api.example.com/', true],
  [['https://*.example.com'], 'https://example.org/', false],
  [['*://example.com:*'], 'http://example.com:1234/', true],
  [['http://*:*'], 'http://10.0.0.1:9999/', true],
  [['http://127.0.0.1:*'], 'http://127.0.0.1:3000/', true],
  [['http://localhost:3000..3010'], 'http://localhost:3005/', true],
  [['http://localhost:3000..3010'], 'http://localhost:3010/', false],
  [['redis://*:6379'], 'redis://127.0.0.1:6379', true],
  [['redis://*:6379'], 'redis://127.0.0.1', true],
  [['redis://*:6379'], 'redis://127.0.0.1:6380', false],
  [['postgres://db.internal'], 'postgres://postgres@db.internal/authorworks_users', true],
  [['postgres://*:5432'], 'postgres://postgres@127.0.0.1:5433/x', false],
  [['http://user-api.spin.internal'], 'http://user-api.spin.internal/v1/users/health', true],
  [['http://user-api.spin.internal'], 'http://content-api.spin.internal/', false],
  [['http://*.spin.internal'], 'http://content-api.spin.internal/', true],
  // CIDR blocks (`HostConfig::Cidr`) match IP addresses, never names.
  [['http://10.0.0.0/8:*'], 'http://10.20.30.40:8080/', true],
  [['http://10.0.0.0/8:*'], 'http://11.0.0.1:8080/', false],
  [['postgres://192.168.1.0/24'], 'postgres://u@192.168.1.9/db', true],
  [['http://10.0.0.0/8'], 'http://ten.example/', false],
  // `*.suffix` matches domains only.
  [['http://*.0.0.1:*'], 'http://127.0.0.1:80/', false],
  // A port-less URL of a scheme without a well-known port matches only a `*` port.
  [['rediss://*:*'], 'rediss://cache.example', true],
  [['rediss://*:6380'], 'rediss://cache.example', false],
];

describe('allowed_outbound_hosts', () => {
  it.each(cases)('%j allows %s: %s', (allowed, url, expected) => {
    expect(isAllowedOutbound(allowed, url)).toBe(expected);
  });

  // `HostConfig::allows_relative`: a relative request is allowed by `self`, `self.alt` or `*`.
  it('allows a request to the app itself through `self` or a `*` host', () => {
    const self = { scheme: 'http', host: 'self', port: undefined };
    expect(isAllowedOutbound(['http://self'], self)).toBe(true);
    expect(isAllowedOutbound(['http://self.alt'], self)).toBe(true);
    expect(isAllowedOutbound(['http://*:*'], self)).toBe(true);
    expect(isAllowedOutbound(['https://*:*'], self)).toBe(false);
    expect(isAllowedOutbound(['http://example.com'], self)).toBe(false);
    expect(isAllowedOutbound(['http://self'], 'http://example.com/')).toBe(false);
  });

  it.each([
    ['example.com', /does not contain a scheme/],
    ['*', /is not an allowed outbound host format/],
    ['https://example.com:http', /Invalid allowed host port "http"/],
    // Only postgres, mysql, redis, mqtt, http and https have a default port (`well_known_port`).
    ['rediss://cache.example', /scheme "rediss" does not have a known default port number/],
    ['postgresql://db', /scheme "postgresql" does not have a known default port number/],
    ['*://example.com', /scheme "\*" does not have a known default port number/],
    ['redis+tls://h:1', /only alphabetic characters are allowed/],
    ['https://example.com:443/api', /has a path but is not allowed to/],
    ['https://api.*.example.com', /wildcards are allowed only as subdomains/],
  ])('rejects %s as Spin does', (entry, reason) => {
    expect(() => parseAllowedHost(entry)).toThrow(OutboundHostError);
    expect(() => parseAllowedHost(entry)).toThrow(reason);
  });

  it('refuses insecure:allow-all with Spin\'s message', () => {
    expect(() => resolveAllowedHosts(['insecure:allow-all'], {})).toThrow("'insecure:allow-all' is not allowed - use '*://*:*' instead");
  });

  // `PartialAllowedHostConfig::Unresolved`: templates are resolved with the app's variables.
  it('expands {{ variable }} templates before matching', () => {
    const resolved = resolveAllowedHosts(['https://{{ api_host }}', 'postgres://{{db_host}}:{{ db_port }}'], { api_host: 'api.example.com', db_host: 'db', db_port: '6543' });
    expect(resolved).toEqual(['https://api.example.com', 'postgres://db:6543']);
    expect(isAllowedOutbound(resolved, 'https://api.example.com/x')).toBe(true);
    expect(isAllowedOutbound(resolved, 'postgres://u@db:6543/x')).toBe(true);
    expect(() => resolveAllowedHosts(['https://{{ nope }}'], {})).toThrow(/"nope", which has no value/);
  });

  it('recognises spin.internal hosts', () => {
    expect(internalComponentId('user-api.spin.internal')).toBe('user-api');
    expect(internalComponentId('example.com')).toBeUndefined();
  });
});

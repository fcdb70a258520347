import { describe, expect, it } from 'vitest';
import { OutboundHostError, internalComponentId, isAllowedOutbound, parseAllowedHost } from './outbound-hosts.ts';

// [allowed_outbound_hosts, url, allowed?] following Spin's rules for the manifest key.
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
  [['insecure:allow-all'], 'https://anything.example/', true],
];

describe('allowed_outbound_hosts', () => {
  it.each(cases)('%j allows %s: %s', (allowed, url, expected) => {
    expect(isAllowedOutbound(allowed, url)).toBe(expected);
  });

  it('treats `self` as the app itself only', () => {
    const self = { scheme: 'http', host: 'self', port: undefined };
    expect(isAllowedOutbound(['http://self'], self)).toBe(true);
    expect(isAllowedOutbound(['http://*:*'], self)).toBe(false);
    expect(isAllowedOutbound(['http://self'], 'http://example.com/')).toBe(false);
  });

  it('rejects entries that are not scheme://host[:port]', () => {
    expect(() => parseAllowedHost('example.com')).toThrow(OutboundHostError);
    expect(() => parseAllowedHost('https://example.com:http')).toThrow(/invalid port/);
  });

  it('recognises spin.internal hosts', () => {
    expect(internalComponentId('user-api.spin.internal')).toBe('user-api');
    expect(internalComponentId('example.com')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { parseRule, pickRouter } from './traefik-rule.ts';

const at = (host: string, path: string) => ({ host, path });

describe('parseRule (Traefik v3 rule matching for Host, Path, PathPrefix)', () => {
  it('matches hosts case-insensitively and paths exactly or by prefix', () => {
    expect(parseRule('Host(`API.example.test`)')(at('api.example.test', '/'))).toBe(true);
    expect(parseRule('Path(`/v1/users`)')(at('h', '/v1/users/'))).toBe(false);
    expect(parseRule('PathPrefix(`/v1/`)')(at('h', '/v1/content/books'))).toBe(true);
    expect(parseRule('PathPrefix(`/v1/`)')(at('h', '/v1'))).toBe(false);
  });

  it('gives && precedence over || and honours parentheses and !', () => {
    const rule = parseRule('Host(`a`) && (Path(`/x`) || PathPrefix(`/y/`))');
    expect(rule(at('a', '/x'))).toBe(true);
    expect(rule(at('a', '/y/z'))).toBe(true);
    expect(rule(at('b', '/x'))).toBe(false);
    expect(parseRule('Host(`a`) && Path(`/x`) || Path(`/y`)')(at('b', '/y'))).toBe(true);
    expect(parseRule('!Host(`a`)')(at('a', '/'))).toBe(false);
  });

  it('rejects matchers it does not implement and v2-style multi-argument Host', () => {
    expect(() => parseRule('Header(`X`, `y`)')).toThrow(/unsupported matcher Header/);
    expect(() => parseRule('Host(`a`, `b`)')).toThrow(/one argument/);
    expect(() => parseRule('Host(`a`) &&')).toThrow();
  });
});

describe('pickRouter', () => {
  it('prefers the highest priority, and by default the longest rule, as Traefik does', () => {
    const routers = {
      broad: { rule: 'PathPrefix(`/v1/`)', priority: 100 },
      users: { rule: 'PathPrefix(`/v1/users/`)', priority: 200 },
    };
    expect(pickRouter(routers, at('h', '/v1/users/me'))?.[0]).toBe('users');
    expect(pickRouter(routers, at('h', '/v1/content/x'))?.[0]).toBe('broad');
    expect(pickRouter(routers, at('h', '/health'))).toBeUndefined();
    expect(pickRouter({ a: { rule: 'PathPrefix(`/v1/`)' }, b: { rule: 'PathPrefix(`/v1/users/`)' } }, at('h', '/v1/users/x'))?.[0]).toBe('b');
  });
});

import { describe, expect, it } from 'vitest';
import { renderTraefikTemplate, templateEnvNames } from './traefik-template.ts';

describe('renderTraefikTemplate (the Go-template subset Traefik applies to dynamic files)', () => {
  it('reads the environment with env, empty when unset, as Sprig does', () => {
    expect(renderTraefikTemplate('Host(`{{ env "H" }}`)', { H: 'api.example.test' })).toBe('Host(`api.example.test`)');
    expect(renderTraefikTemplate('x{{ env "MISSING" }}y', {})).toBe('xy');
  });

  it('applies default only to an empty value', () => {
    expect(renderTraefikTemplate('{{ env "U" | default "fallback" }}', {})).toBe('fallback');
    expect(renderTraefikTemplate('{{ env "U" | default "fallback" }}', { U: 'set' })).toBe('set');
  });

  it('escapes regex metacharacters like Go regexp.QuoteMeta and replaces every occurrence', () => {
    expect(renderTraefikTemplate('{{ env "O" | nospace | regexQuoteMeta | replace "," "|" }}', { O: 'https://a.b:8443, https://c.d' })).toBe(
      'https://a\\.b:8443|https://c\\.d',
    );
  });

  it('refuses functions and syntax it does not implement instead of guessing', () => {
    expect(() => renderTraefikTemplate('{{ env "A" | upper }}', {})).toThrow(/unsupported template function "upper"/);
    expect(() => renderTraefikTemplate('{{- env "A" }}', {})).toThrow(/not supported/);
    expect(() => renderTraefikTemplate('{{ range .Items }}', {})).toThrow(/unsupported template function "range"/);
    expect(() => renderTraefikTemplate('{{ env .A }}', {})).toThrow(/string literal/);
  });

  it('lists the environment variables a file reads', () => {
    expect(templateEnvNames('{{ env "A" }} and {{ env "B" | default "x" }} and {{ env "A" }}')).toEqual(['A', 'B']);
  });
});

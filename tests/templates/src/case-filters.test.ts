import { describe, expect, it } from 'vitest';
import { dottedPascalCase, httpWildcard, kebabCase, pascalCase, snakeCase, splitWords } from './case-filters.ts';

// Expected values are the ones Spin's own tests (filters.rs, run.rs) and heck's documentation state.
describe("Spin's template filters", () => {
  it('convert between cases as Spin test_filters expects', () => {
    expect(kebabCase('originally_snaky')).toBe('originally-snaky');
    expect(snakeCase('originally-kebabby')).toBe('originally_kebabby');
    expect(pascalCase('originally_snaky')).toBe('OriginallySnaky');
    expect(dottedPascalCase('originally.semi-dotted')).toBe('Originally.SemiDotted');
  });

  it.each([
    ['Fermyon.PetStore', 'Fermyon.PetStore'],
    ['fermyon-pet-store', 'FermyonPetStore'],
    ['fermyon_pet_store', 'FermyonPetStore'],
    ['fermyon.pet-store', 'Fermyon.PetStore'],
    ['fermyon.pet_store', 'Fermyon.PetStore'],
    ['fermyon pet store', 'FermyonPetStore'],
  ])('dotted_pascal_case(%j) is %j', (input, expected) => {
    expect(dottedPascalCase(input)).toBe(expected);
  });

  it("segments words the way heck does", () => {
    expect(splitWords('XMLHttpRequest')).toEqual(['XML', 'Http', 'Request']);
    expect(splitWords('HelloWorld')).toEqual(['Hello', 'World']);
    expect(splitWords('hello__world--again')).toEqual(['hello', 'world', 'again']);
    expect(splitWords('v2Api')).toEqual(['v2', 'Api']);
    expect(splitWords('ABC')).toEqual(['ABC']);
    expect(splitWords('  ')).toEqual([]);
  });

  it('handles mixed input in every case', () => {
    expect(kebabCase('BookStats Service')).toBe('book-stats-service');
    expect(snakeCase('book-stats')).toBe('book_stats');
    expect(pascalCase('book-stats')).toBe('BookStats');
    expect(pascalCase('HTTPServer')).toBe('HttpServer');
    expect(kebabCase('ΣΑΣ')).toBe('σας');
  });

  it.each([
    ['/api', '/api/...'],
    ['/api/', '/api/...'],
    ['/api/...', '/api/...'],
    ['/', '/...'],
  ])('http_wildcard(%j) is %j', (input, expected) => {
    expect(httpWildcard(input)).toBe(expected);
  });
});

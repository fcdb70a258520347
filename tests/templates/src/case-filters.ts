/**
 * The Liquid filters Spin adds to its template parser (crates/templates/src/filters.rs), with the
 * same results. Spin's case filters call the Rust `heck` crate (0.5), so its word splitting is
 * reproduced here: words are runs of alphanumeric characters (`char::is_alphanumeric`), and
 * inside a word a boundary falls before an uppercase letter that follows a lowercase one
 * (`helloWorld` → hello|World) and before the last capital of a run that is followed by a
 * lowercase letter (`XMLHttpRequest` → XML|Http|Request). Digits keep the case mode of the
 * letter before them (`v2Api` → v2|Api).
 */

const NOT_ALPHANUMERIC = /[^\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]/u;
const isLowercase = (c: string) => /\p{Lowercase}/u.test(c);
const isUppercase = (c: string) => /\p{Uppercase}/u.test(c);

type WordMode = 'boundary' | 'lowercase' | 'uppercase';

/** heck's segmentation: the words of `text` in order, as the case conversions see them. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const run of text.split(NOT_ALPHANUMERIC)) {
    const chars = Array.from(run);
    let start = 0;
    let mode: WordMode = 'boundary';
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i] as string;
      const next = chars[i + 1];
      if (next === undefined) {
        words.push(chars.slice(start).join(''));
        break;
      }
      const nextMode: WordMode = isLowercase(c) ? 'lowercase' : isUppercase(c) ? 'uppercase' : mode;
      if (nextMode === 'lowercase' && isUppercase(next)) {
        words.push(chars.slice(start, i + 1).join(''));
        start = i + 1;
        mode = 'boundary';
      } else if (mode === 'uppercase' && isUppercase(c) && isLowercase(next)) {
        words.push(chars.slice(start, i).join(''));
        start = i;
        mode = 'boundary';
      } else {
        mode = nextMode;
      }
    }
  }
  return words;
}

/** Per-character lowercasing as Rust's `char::to_lowercase`, with heck's final-sigma rule. */
function lowercase(word: string): string {
  const chars = Array.from(word);
  return chars.map((c, i) => (c === 'Σ' && i === chars.length - 1 ? 'ς' : c.toLowerCase())).join('');
}

function capitalize(word: string): string {
  const [first = '', ...rest] = Array.from(word);
  return first.toUpperCase() + lowercase(rest.join(''));
}

export const kebabCase = (text: string) => splitWords(text).map(lowercase).join('-');
export const snakeCase = (text: string) => splitWords(text).map(lowercase).join('_');
export const pascalCase = (text: string) => splitWords(text).map(capitalize).join('');

/** `fermyon.pet-store` → `Fermyon.PetStore`: each dot-separated part in PascalCase. */
export const dottedPascalCase = (text: string) => text.split('.').map(pascalCase).join('.');

/** Makes a route a Spin wildcard route: `/api` → `/api/...`, `/api/` → `/api/...`. */
export function httpWildcard(route: string): string {
  if (route.endsWith('/...')) return route;
  if (route.endsWith('/')) return `${route}...`;
  return `${route}/...`;
}

/** The filters by the names templates use them under. */
export const spinFilters: Record<string, (text: string) => string> = {
  kebab_case: kebabCase,
  snake_case: snakeCase,
  pascal_case: pascalCase,
  dotted_pascal_case: dottedPascalCase,
  http_wildcard: httpWildcard,
};

// The reference page's assets, embedded in the component when it is built: esbuild inlines each
// file imported `with { type: 'text' }` as a string (a component cannot read node_modules or any
// file at run time). Swagger UI comes from the registry (swagger-ui-dist), pinned in the catalog;
// why Swagger UI: docs/decisions.md, Decision 11.
import swaggerUiScript from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' };
import swaggerUiStyle from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' };
import referenceScript from './browser/reference.js' with { type: 'text' };
import referenceStyle from './browser/reference.css' with { type: 'text' };

export interface ReferenceAsset {
  /** The name the page links, with the content's digest in it, so a cached copy is never stale. */
  file: string;
  contentType: string;
  body: string;
}

/** FNV-1a (32 bits) of the UTF-16 code units: a cache key, not a security digest. */
function contentDigest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function asset(name: string, extension: 'js' | 'css', body: string): ReferenceAsset {
  const contentType = extension === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
  return { file: `${name}.${contentDigest(body)}.${extension}`, contentType, body };
}

// Computed once, when the component is pre-initialised at build time (top-level code runs then).
export const REFERENCE_ASSETS = {
  swaggerUiScript: asset('swagger-ui-bundle', 'js', swaggerUiScript),
  swaggerUiStyle: asset('swagger-ui', 'css', swaggerUiStyle),
  referenceScript: asset('reference', 'js', referenceScript),
  referenceStyle: asset('reference', 'css', referenceStyle),
} as const;

const BY_FILE: ReadonlyMap<string, ReferenceAsset> = new Map(Object.values(REFERENCE_ASSETS).map((entry) => [entry.file, entry]));

export function referenceAssetNamed(file: string): ReferenceAsset | undefined {
  return BY_FILE.get(file);
}

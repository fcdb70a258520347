import { parse, stringify } from 'smol-toml';
import type { ComposedApp } from './compose.ts';

const SCHEMA_LINE = '#:schema https://schemas.spinframework.dev/spin/manifest-v2/latest.json';

/**
 * Renders a composed app as TOML grouped by the service it came from: the application and the
 * variables first, then each service's triggers and components under a comment naming its
 * manifest. TOML lets `[[trigger.http]]` entries appear between other tables, so the grouping
 * costs nothing in meaning; the round trip below proves it.
 */
export function renderComposedManifest({ manifest, sections }: ComposedApp, header: readonly string[]): string {
  const toml = (value: Record<string, unknown>) => stringify(value).trim();
  const parts = [
    [SCHEMA_LINE, ...header.map((line) => `# ${line}`)].join('\n'),
    toml({ spin_manifest_version: manifest.spin_manifest_version, application: manifest.application }),
    toml({ variables: manifest.variables }),
  ];
  let http = 0;
  let redis = 0;
  for (const section of sections) {
    const lines = [`# ---- ${section.file} ----`];
    const httpTriggers = manifest.trigger.http?.slice(http, http + section.httpCount) ?? [];
    const redisTriggers = manifest.trigger.redis?.slice(redis, redis + section.redisCount) ?? [];
    http += section.httpCount;
    redis += section.redisCount;
    if (httpTriggers.length) lines.push(toml({ trigger: { http: httpTriggers } }));
    if (redisTriggers.length) lines.push(toml({ trigger: { redis: redisTriggers } }));
    for (const id of section.componentIds) {
      lines.push(toml({ component: { [id]: manifest.component[id] } }));
    }
    parts.push(lines.join('\n\n'));
  }
  const text = `${parts.join('\n\n')}\n`;
  if (canonicalJson(parse(text)) !== canonicalJson(parse(stringify(manifest)))) {
    throw new Error('internal error: rendered manifest does not round-trip to the composed app');
  }
  return text;
}

/** JSON with object keys sorted, so two values compare equal whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes files (path → content) into a fresh temporary directory and returns it. Manifest tests
 * describe each case inline, so the manifest a test rejects is visible next to its assertion.
 */
export function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'spin-manifest-'));
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** A minimal valid service manifest; `extra` is appended verbatim. */
export function serviceManifest(name: string, route: string, extra = ''): string {
  return `spin_manifest_version = 2

[application]
name = "${name}"

[variables]
log_level = { default = "info" }

[[trigger.http]]
route = "${route}"
component = "${name}-api"

[component.${name}-api]
source = "dist/${name}-api.wasm"

[component.${name}-api.variables]
log_level = "{{ log_level }}"
${extra}`;
}

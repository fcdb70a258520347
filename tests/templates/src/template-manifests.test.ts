import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from './template-manifest.ts';
import { repoRoot, templatesDir } from './scratch-workspace.ts';

// `spin templates install --dir <root>` installs every subdirectory of `<root>/templates` whose
// metadata/spin-template.toml loads (crates/templates/src/source.rs, manager.rs).
const templateDirs = readdirSync(templatesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('templates/ as `spin templates install --dir .` sees it', () => {
  it('holds the three AuthorWorks templates and nothing Spin would skip', () => {
    expect(templateDirs).toEqual(['authorworks-event-processor', 'authorworks-http-api', 'authorworks-worker']);
    expect(existsSync(join(repoRoot, 'templates'))).toBe(true);
  });

  it.each(templateDirs)('%s: its manifest loads, its id is its folder name, and it can be added to a service', (dir) => {
    const layout = loadTemplate(join(templatesDir, dir));
    expect(layout.manifest.id).toBe(dir);
    expect(layout.manifest.tags).toContain('authorworks');
    expect(layout.contentDir).toBeDefined();
    expect(layout.manifest.add_component?.supported ?? true).toBe(true);
    for (const file of Object.values(layout.manifest.add_component?.snippets ?? {})) {
      expect(existsSync(join(layout.snippetsDir ?? '', file)), file).toBe(true);
    }
    for (const id of Object.keys(layout.manifest.add_component?.snippets ?? {})) {
      expect(['component', 'application_trigger', 'variables']).toContain(id);
    }
  });

  it.each(templateDirs)('%s: every default satisfies its own pattern (Spin does not check defaults)', (dir) => {
    for (const [id, parameter] of Object.entries(loadTemplate(join(templatesDir, dir)).manifest.parameters ?? {})) {
      if (parameter.default === undefined) continue;
      if (parameter.pattern) expect(new RegExp(parameter.pattern, 'u').test(parameter.default), `${id}: ${parameter.default}`).toBe(true);
      if (parameter.allowed_values) expect(parameter.allowed_values).toContain(parameter.default);
    }
  });
});

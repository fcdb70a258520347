import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TemplateError, mergeIntoTable, renderTemplate, validateName } from './render.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'aw-render-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

const MANIFEST = `manifest_version = "1"
id = "fixture"
description = "A fixture template"
tags = ["test"]

[add_component]
skip_files = ["spin.toml"]
[add_component.snippets]
component = "component.txt"
variables = "variables.txt"
application_trigger = "trigger.txt"
[add_component.conditions.trigger_present]
condition = { manifest_entry_exists = "application.trigger.redis" }
skip_snippets = ["application_trigger"]

[parameters]
description = { type = "string", prompt = "Description", default = "" }
channel = { type = "string", prompt = "Channel", default = "jobs", pattern = "^[a-z][a-z0-9-]*$" }
level = { type = "string", prompt = "Level", default = "info", allowed_values = ["info", "debug"] }
`;

function fixtureTemplate(extra: Record<string, string | Buffer> = {}): string {
  const dir = join(work, 'template');
  writeTree(dir, {
    'metadata/spin-template.toml': MANIFEST,
    'metadata/snippets/component.txt': '[component.{{project-name | kebab_case}}]\nsource = "{{ output-path }}/x.wasm"\n',
    'metadata/snippets/variables.txt': 'level = { default = "{{ level }}" }\nchannel = { default = "{{ channel }}" }\n',
    'metadata/snippets/trigger.txt': '[application.trigger.redis]\naddress = "redis://localhost"\n',
    'content/spin.toml': 'spin_manifest_version = 2\nname = "{{project-name | kebab_case}}"\n',
    'content/src/{{project-name !! snake_case}}.ts.tmpl': 'export const {{ project-name | pascal_case }} = "{{ channel }}";\n',
    'content/README.md': '# {{ project-name }}\n{{ description }}{% raw %}{{ kept }}{% endraw %}\n',
    'content/broken.txt': 'this {{ is not | liquid',
    'content/logo.bin': Buffer.from([0xff, 0xfe, 0x7b, 0x7b, 0x00]),
    'content/.gitignore': 'dist/\n',
    ...extra,
  });
  return dir;
}

describe('renderTemplate as spin new', () => {
  it('renders placeholders with filters, file names, .tmpl, raw blocks and non-template files', () => {
    const result = renderTemplate({ templateDir: fixtureTemplate(), name: 'Book Stats', outputPath: 'out', cwd: work, acceptDefaults: true, authors: 'A', username: 'a' });
    const out = join(work, 'out');
    expect(result.targetDir).toBe(out);
    expect(readFileSync(join(out, 'spin.toml'), 'utf8')).toBe('spin_manifest_version = 2\nname = "book-stats"\n');
    expect(readFileSync(join(out, 'src/book_stats.ts'), 'utf8')).toBe('export const BookStats = "jobs";\n');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('# Book Stats\n{{ kept }}\n');
    expect(readFileSync(join(out, 'broken.txt'), 'utf8')).toBe('this {{ is not | liquid');
    expect(readFileSync(join(out, 'logo.bin'))).toEqual(Buffer.from([0xff, 0xfe, 0x7b, 0x7b, 0x00]));
    expect(existsSync(join(out, '.gitignore'))).toBe(true);
    expect(result.values).toMatchObject({ 'project-name': 'Book Stats', 'output-path': 'out', channel: 'jobs', level: 'info' });
  });

  it('defaults the output path to the path-safe name and honours --no-vcs', () => {
    const result = renderTemplate({ templateDir: fixtureTemplate(), name: 'my.svc+x1', cwd: work, acceptDefaults: true, noVcs: true });
    expect(result.targetDir).toBe(join(work, 'my.svc_x1'));
    expect(existsSync(join(work, 'my.svc_x1', '.gitignore'))).toBe(false);
  });

  it('uses provided values over defaults and fails on a missing one without -a', () => {
    const result = renderTemplate({ templateDir: fixtureTemplate(), name: 'a', cwd: work, values: { channel: 'x-jobs', description: 'd', level: 'debug' } });
    expect(readFileSync(join(result.targetDir, 'src/a.ts'), 'utf8')).toContain('"x-jobs"');
    expect(() => renderTemplate({ templateDir: fixtureTemplate(), name: 'b', cwd: work, values: { channel: 'y' } })).toThrow(
      "Parameter 'description' not provided",
    );
    expect(existsSync(join(work, 'b'))).toBe(false);
  });

  it('rejects values that break a pattern, are not allowed, or name no parameter', () => {
    const run = (values: Record<string, string>) => () => renderTemplate({ templateDir: fixtureTemplate(), name: 'a', cwd: work, acceptDefaults: true, values });
    expect(run({ channel: 'Bad Channel' })).toThrow("does not match pattern '^[a-z][a-z0-9-]*$'");
    expect(run({ level: 'trace' })).toThrow('is not one of the allowed values (info, debug)');
    expect(run({ colour: 'red' })).toThrow("Template does not contain a parameter named 'colour'");
  });

  it("checks names as spin new does", () => {
    expect(() => validateName('my-service')).not.toThrow();
    expect(() => validateName('my-2nd')).toThrow("'2nd' does not start with a letter");
    expect(() => validateName('-x')).toThrow(TemplateError);
  });

  it('refuses a non-empty target unless overwriting is allowed', () => {
    writeTree(work, { 'taken/file': 'x' });
    const options = { templateDir: fixtureTemplate(), name: 'taken', cwd: work, acceptDefaults: true };
    expect(() => renderTemplate(options)).toThrow('already contains other files');
    expect(() => renderTemplate({ ...options, allowOverwrite: true })).not.toThrow();
  });

  it('fails on an unknown filter and on an undefined variable, writing nothing', () => {
    expect(() =>
      renderTemplate({ templateDir: fixtureTemplate({ 'content/x.txt': '{{ project-name | shout }}' }), name: 'a', cwd: work, acceptDefaults: true }),
    ).toThrow("unknown filter 'shout'");
    rmSync(join(work, 'template'), { recursive: true });
    expect(() =>
      renderTemplate({ templateDir: fixtureTemplate({ 'content/x.txt': '{{ nowhere }}' }), name: 'a', cwd: work, acceptDefaults: true }),
    ).toThrow('undefined variable: nowhere');
    expect(existsSync(join(work, 'a'))).toBe(false);
  });

  it('includes partials from metadata/partials and creates the directories `outputs` asks for', () => {
    const manifest = `${MANIFEST}\n[outputs]\ndata_dir = { action = "create_dir", path = "{{ project-name | snake_case }}_data" }\n`;
    const dir = fixtureTemplate({
      'metadata/spin-template.toml': manifest,
      'metadata/partials/header.txt': '// {{ project-name | kebab_case }} ({{ level }})',
      'content/src/header.ts': '{% include "header.txt" %}\nexport {};\n',
    });
    const result = renderTemplate({ templateDir: dir, name: 'Mail Box', outputPath: 'mail', cwd: work, acceptDefaults: true });
    expect(readFileSync(join(result.targetDir, 'src/header.ts'), 'utf8')).toBe('// mail-box (info)\nexport {};\n');
    expect(existsSync(join(work, 'mail', 'mail_box_data'))).toBe(true);
  });

  it('rejects a template manifest with a key Spin does not know', () => {
    const dir = fixtureTemplate({ 'metadata/spin-template.toml': `${MANIFEST}\n[extras]\nx = 1\n` });
    expect(() => renderTemplate({ templateDir: dir, name: 'a', cwd: work, acceptDefaults: true })).toThrow('not a valid manifest');
  });
});

describe('renderTemplate as spin add', () => {
  const APP = `spin_manifest_version = 2

[application]
name = "app"

[variables]
level = { default = "warn" }
other = { default = "1" }

[component.existing]
source = "e.wasm"
`;

  it('skips skip_files, appends the component and trigger snippets and merges variables', () => {
    writeTree(work, { 'app/spin.toml': APP });
    const manifest = join(work, 'app/spin.toml');
    const result = renderTemplate({ templateDir: fixtureTemplate(), name: 'jobs', addTo: manifest, outputPath: '.', allowOverwrite: true, acceptDefaults: true });
    expect(result.targetDir).toBe(join(work, 'app'));
    expect(result.files.map((f) => f.slice(result.targetDir.length + 1))).not.toContain('spin.toml');
    expect(result.files.map((f) => f.slice(result.targetDir.length + 1))).toContain(join('src', 'jobs.ts'));
    expect(result.snippets.sort()).toEqual(['application_trigger', 'component', 'variables']);
    const text = readFileSync(manifest, 'utf8');
    expect(text).toContain('[variables]\nlevel = { default = "info" }\nother = { default = "1" }\nchannel = { default = "jobs" }\n');
    expect(text).toContain('source = "e.wasm"\n\n[component.jobs]\nsource = "./x.wasm"\n');
    expect(text).toContain('[application.trigger.redis]\naddress = "redis://localhost"\n');
  });

  it('leaves out a snippet whose manifest_entry_exists condition holds', () => {
    writeTree(work, { 'app/spin.toml': `${APP}\n[application.trigger.redis]\naddress = "redis://x"\n` });
    const manifest = join(work, 'app/spin.toml');
    const result = renderTemplate({ templateDir: fixtureTemplate(), name: 'jobs', addTo: manifest, outputPath: 'jobs', acceptDefaults: true });
    expect(result.targetDir).toBe(join(work, 'app/jobs'));
    expect(result.snippets.sort()).toEqual(['component', 'variables']);
    expect(readFileSync(manifest, 'utf8').match(/\[application\.trigger\.redis\]/g)).toHaveLength(1);
    expect(readFileSync(manifest, 'utf8')).toContain('source = "jobs/x.wasm"');
  });

  it('refuses a template without an add_component variant', () => {
    writeTree(work, { 'app/spin.toml': APP });
    const manifest = MANIFEST.replace(/\[add_component\][\s\S]*?\[parameters\]/, '[parameters]');
    const dir = fixtureTemplate({ 'metadata/spin-template.toml': manifest });
    expect(() => renderTemplate({ templateDir: dir, name: 'x', addTo: join(work, 'app/spin.toml'), acceptDefaults: true })).toThrow(
      "doesn't support the 'add component' operation",
    );
  });

  it('merges a variables snippet into a manifest that has no [variables] table', () => {
    expect(mergeIntoTable('a = 1\n', 'variables', 'x = { default = "y" }\n')).toBe('a = 1\n\n[variables]\nx = { default = "y" }\n');
  });
});

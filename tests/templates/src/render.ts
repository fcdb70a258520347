/**
 * Runs a Spin template the way `spin new` / `spin add` do (spinframework/spin,
 * crates/templates: run.rs, template.rs, interaction.rs, renderer.rs, writer.rs), without Spin:
 *
 * - the name must pass `spin new`'s check (each segment starts with a letter); the output path
 *   defaults to the name with path-unsafe characters replaced by `_`;
 * - provided values must name declared parameters and match their `pattern` (unanchored, as
 *   Rust's `Regex::is_match`) and `allowed_values`; a missing one takes its default only with
 *   `acceptDefaults` (`spin new -a`), else the run fails as Spin's non-interactive mode does;
 * - every file under content/ is a Liquid template with Spin's five filters and the special
 *   values `project-name`, `output-path`, `authors`, `username`; a trailing `.tmpl` is dropped;
 *   a path containing `{{` is itself rendered (with `!!` standing for `|`); a file that is not
 *   UTF-8 or not valid Liquid is copied as it is, except that an unknown filter is an error;
 *   variables are strict (an undefined one is an error, as in the Rust `liquid` crate);
 * - `spin add` skips the variant's `skip_files`, appends the `component` and
 *   `application_trigger` snippets to the manifest (after one blank line), merges the
 *   `variables` snippet into `[variables]` (a key already there is replaced), and applies
 *   `manifest_entry_exists` conditions;
 * - the target directory must be empty unless `allowOverwrite`; nothing is written unless every
 *   file renders.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { parse as parseToml } from 'smol-toml';
import { spinFilters } from './case-filters.ts';
import { TemplateError, loadTemplate, type TemplateLayout, type TemplateVariant } from './template-manifest.ts';

export { TemplateError } from './template-manifest.ts';

export interface RenderOptions {
  /** The template's directory (holding metadata/ and content/). */
  templateDir: string;
  /** The NAME argument of `spin new` / `spin add`: the `project-name` value. */
  name: string;
  /** `spin add -f <manifest>`: add a component to this manifest instead of creating an app. */
  addTo?: string;
  /** `-o`: where to generate; relative to `cwd` for `spin new`, to the manifest's folder for `spin add`. */
  outputPath?: string;
  /** The working directory `spin new` runs in. */
  cwd?: string;
  /** `-v name=value` pairs. */
  values?: Record<string, string>;
  /** `-a` / `--accept-defaults`. */
  acceptDefaults?: boolean;
  /** `--allow-overwrite`. */
  allowOverwrite?: boolean;
  /** `--no-vcs`: leave out `.gitignore`. */
  noVcs?: boolean;
  /** The `authors` and `username` values; by default from git's user.name and user.email, as Spin. */
  authors?: string;
  username?: string;
}

export interface RenderResult {
  /** The folder the content was generated into. */
  targetDir: string;
  /** Every file written, absolute. */
  files: string[];
  /** The snippets applied to the manifest, in order (`component`, `variables`, ...). */
  snippets: string[];
  /** The values the template was rendered with, special values included. */
  values: Record<string, string>;
}

type Globals = Record<string, string>;

type Operation =
  | { kind: 'write'; path: string | Template[]; content: Template[] | Buffer }
  | { kind: 'append'; manifest: string; snippet: string; content: Template[] | Buffer }
  | { kind: 'merge'; manifest: string; snippet: string; table: 'variables'; content: Template[] | Buffer }
  | { kind: 'mkdir'; base: string; path: Template[] };

const PATH_UNSAFE = /[^-_.a-zA-Z0-9]/g;

/** `spin new`'s name check: every segment between non-alphanumerics starts with a letter. */
export function validateName(name: string): void {
  const bad = name.split(/[^\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]/u).filter((segment) => !/^\p{Alphabetic}/u.test(segment));
  if (bad.length > 0) {
    const list = bad.map((s) => `'${s}'`).join(', ');
    throw new TemplateError(`Each segment of the name must start with a letter. ${list} ${bad.length === 1 ? 'does' : 'do'} not start with a letter`);
  }
}

function createEngine(partialsDir: string | undefined): Liquid {
  const templates: Record<string, string> = {};
  if (partialsDir) {
    for (const entry of readdirSync(partialsDir, { withFileTypes: true })) {
      if (!entry.isFile()) throw new TemplateError(`Non-file in partials directory: ${entry.name}`);
      templates[entry.name] = readFileSync(join(partialsDir, entry.name), 'utf8');
    }
  }
  const engine = new Liquid({ strictFilters: true, strictVariables: true, templates, extname: '' });
  for (const [name, filter] of Object.entries(spinFilters)) {
    engine.registerFilter(name, (input: unknown) => {
      if (typeof input !== 'string' && typeof input !== 'number' && typeof input !== 'boolean') {
        throw new TemplateError(`${name}: String expected`);
      }
      return filter(String(input));
    });
  }
  return engine;
}

/** Spin's `TemplateContent::infer_from_bytes`: Liquid if possible, raw bytes otherwise. */
function parseContent(engine: Liquid, bytes: Buffer, what: string): Template[] | Buffer {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes;
  }
  try {
    return engine.parse(text);
  } catch (error) {
    const unknownFilter = /undefined filter: (\S+?),/.exec((error as Error).message);
    if (unknownFilter) throw new TemplateError(`${what}: internal error in template: unknown filter '${unknownFilter[1]}'`);
    return bytes;
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

function isDirectoryEmpty(path: string): boolean {
  if (!existsSync(path)) return true;
  if (!statSync(path).isDirectory()) return false;
  return readdirSync(path).length === 0;
}

/** The dotted path names an entry of the manifest, as the `manifest_entry_exists` condition asks. */
function manifestEntryExists(manifestPath: string, dottedPath: string): boolean {
  let node: unknown;
  try {
    node = parseToml(readFileSync(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  for (const key of dottedPath.split('.')) {
    if (typeof node !== 'object' || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** The variant with its conditions applied (template.rs `resolve_conditions`). */
function resolveVariant(layout: TemplateLayout, addTo: string | undefined): Required<Pick<TemplateVariant, 'skip_files' | 'skip_parameters' | 'snippets'>> {
  const raw = addTo ? layout.manifest.add_component : layout.manifest.new_application;
  const supported = raw ? raw.supported ?? true : !addTo;
  if (!supported) {
    throw new TemplateError(`Template ${layout.manifest.id} doesn't support the '${addTo ? 'add component' : 'new application'}' operation`);
  }
  const resolved = {
    skip_files: [...(raw?.skip_files ?? [])],
    skip_parameters: [...(raw?.skip_parameters ?? [])],
    snippets: { ...(raw?.snippets ?? {}) },
  };
  for (const conditional of Object.values(raw?.conditions ?? {})) {
    if (!addTo || !manifestEntryExists(addTo, conditional.condition.manifest_entry_exists)) continue;
    resolved.skip_files.push(...(conditional.skip_files ?? []));
    resolved.skip_parameters.push(...(conditional.skip_parameters ?? []));
    for (const id of conditional.skip_snippets ?? []) delete resolved.snippets[id];
  }
  return resolved;
}

function gitConfig(key: string): string {
  try {
    return execFileSync('git', ['config', '--get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** `template.rs check_compatible_manifest_format`: a v2 template only adds to a v2 manifest. */
function checkManifestFormat(layout: TemplateLayout, manifestPath: string): void {
  const templateManifest = layout.contentDir && join(layout.contentDir, 'spin.toml');
  if (!templateManifest || !existsSync(templateManifest)) return;
  const text = readFileSync(templateManifest, 'utf8');
  const isV1 = text.includes('spin_manifest_version = "1"');
  const isV2 = text.includes('spin_manifest_version = 2');
  if (isV1 === isV2) return;
  let target: unknown;
  try {
    target = parseToml(readFileSync(manifestPath, 'utf8'));
  } catch {
    return;
  }
  const version = (target as { spin_manifest_version?: unknown }).spin_manifest_version;
  const format = version === 2 ? 2 : version === '1' || version === 1 ? 1 : undefined;
  if (format !== undefined && format !== (isV2 ? 2 : 1)) {
    throw new TemplateError('This template is for a different version of the Spin manifest');
  }
}

/** writer.rs `merge_toml` for the one table Spin merges into, done on the text to keep its layout. */
export function mergeIntoTable(manifestText: string, table: string, snippetText: string): string {
  const snippet = parseToml(snippetText);
  const snippetLines = snippetText.split('\n').filter((line) => /^\s*[A-Za-z0-9_"'-]+\s*=/.test(line));
  const lines = manifestText.split('\n');
  const header = lines.findIndex((line) => line.trim() === `[${table}]`);
  if (header < 0) {
    const body = Object.keys(snippet).map((key) => snippetLines.find((line) => keyOf(line) === key) ?? '');
    return `${manifestText.trimEnd()}\n\n[${table}]\n${body.join('\n')}\n`;
  }
  let end = header + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end] as string)) end++;
  // The table's last key line: new keys go after it, before any blank lines or comments.
  let lastKey = header;
  for (let i = header + 1; i < end; i++) if (keyOf(lines[i] as string)) lastKey = i;
  for (const key of Object.keys(snippet)) {
    const line = snippetLines.find((l) => keyOf(l) === key);
    if (line === undefined) throw new TemplateError(`snippet key ${key} must be written on one line`);
    const existing = lines.findIndex((l, i) => i > header && i < end && keyOf(l) === key);
    if (existing >= 0) lines[existing] = line;
    else {
      lines.splice(lastKey + 1, 0, line);
      lastKey++;
      end++;
    }
  }
  return lines.join('\n');
}

function keyOf(line: string): string | undefined {
  const match = /^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=/.exec(line);
  return match ? match[1] ?? match[2] ?? match[3] : undefined;
}

export function renderTemplate(options: RenderOptions): RenderResult {
  validateName(options.name);
  const layout = loadTemplate(options.templateDir);
  const addTo = options.addTo && resolve(options.cwd ?? process.cwd(), options.addTo);
  if (addTo && !existsSync(addTo)) throw new TemplateError(`Can't add component to ${addTo}: file does not exist`);
  const variant = resolveVariant(layout, addTo);
  const outputPath = options.outputPath ?? options.name.replace(PATH_UNSAFE, '_');
  const targetDir = addTo ? resolve(dirname(addTo), outputPath) : resolve(options.cwd ?? process.cwd(), outputPath);

  if (addTo) checkManifestFormat(layout, addTo);
  if (!options.allowOverwrite && !isDirectoryEmpty(targetDir)) {
    throw new TemplateError(`Can't generate into ${targetDir} as it already contains other files`);
  }
  const engine = createEngine(layout.partialsDir);

  const parameters = layout.manifest.parameters ?? {};
  const errors: string[] = [];
  for (const [name, value] of Object.entries(options.values ?? {})) {
    const parameter = parameters[name];
    if (!parameter) errors.push(`Template does not contain a parameter named '${name}'`);
    else if (parameter.pattern !== undefined && !new RegExp(parameter.pattern, 'u').test(value)) {
      errors.push(`${name}: Input '${value}' does not match pattern '${parameter.pattern}'`);
    } else if (parameter.allowed_values && !parameter.allowed_values.includes(value)) {
      errors.push(`${name}: Input '${value}' is not one of the allowed values (${parameter.allowed_values.join(', ')})`);
    }
  }
  if (errors.length > 0) {
    throw new TemplateError(`The following provided value(s) are invalid according to the template:\n${errors.map((e) => `- ${e}`).join('\n')}`);
  }

  const operations: Operation[] = [];
  if (layout.contentDir) {
    const contentDir = layout.contentDir;
    const skipped = new Set(variant.skip_files.map((file) => join(contentDir, file)));
    for (const file of listFiles(contentDir)) {
      if (skipped.has(file)) continue;
      if (options.noVcs && file.endsWith(`${sep}.gitignore`)) continue;
      const content = parseContent(engine, readFileSync(file), relative(layout.dir, file));
      const out = join(targetDir, relative(contentDir, file.endsWith('.tmpl') ? file.slice(0, -'.tmpl'.length) : file));
      let path: string | Template[] = out;
      if (out.includes('{{')) {
        try {
          path = engine.parse(out.replaceAll('!!', '|'));
        } catch {
          path = out;
        }
      }
      operations.push({ kind: 'write', path, content });
    }
  }
  for (const [id, file] of Object.entries(variant.snippets)) {
    if (!layout.snippetsDir) throw new TemplateError('Template snippets directory not found');
    const content = parseContent(engine, readFileSync(join(layout.snippetsDir, file)), `snippet ${file}`);
    if (!addTo) throw new TemplateError(`Spin doesn't know what to do with a '${id}' snippet outside an 'add component' operation`);
    if (id === 'component' || id === 'application_trigger') operations.push({ kind: 'append', manifest: addTo, snippet: id, content });
    else if (id === 'variables') operations.push({ kind: 'merge', manifest: addTo, snippet: id, table: 'variables', content });
    else throw new TemplateError(`Spin doesn't know what to do with snippet ${id}`);
  }
  for (const output of Object.values(layout.manifest.outputs ?? {})) {
    const base = output.at === 'manifest' && addTo ? dirname(addTo) : resolve(options.cwd ?? process.cwd(), outputPath);
    operations.push({ kind: 'mkdir', base, path: engine.parse(output.path) });
  }

  const values: Globals = {
    authors: options.authors ?? [gitConfig('user.name'), gitConfig('user.email') && `<${gitConfig('user.email')}>`].filter(Boolean).join(' '),
    username: options.username ?? gitConfig('user.name'),
    'project-name': options.name,
    'output-path': outputPath,
  };
  for (const [id, parameter] of Object.entries(parameters)) {
    if (variant.skip_parameters.includes(id)) continue;
    const provided = options.values?.[id];
    if (provided !== undefined) values[id] = provided;
    else if (options.acceptDefaults && parameter.default !== undefined) values[id] = parameter.default;
    else throw new TemplateError(`Parameter '${id}' not provided`);
  }

  const render = (content: Template[] | Buffer): Buffer =>
    Buffer.isBuffer(content) ? content : Buffer.from(engine.renderSync(content, values) as string, 'utf8');
  const outputs = operations.map((op) => {
    switch (op.kind) {
      case 'write':
        return { ...op, path: typeof op.path === 'string' ? op.path : (engine.renderSync(op.path, values) as string), bytes: render(op.content) };
      case 'append':
      case 'merge':
        return { ...op, bytes: render(op.content) };
      case 'mkdir':
        return { ...op, dir: join(op.base, engine.renderSync(op.path, values) as string) };
    }
  });
  if (outputs.length === 0) throw new TemplateError('Nothing to create');

  const files: string[] = [];
  const snippets: string[] = [];
  for (const output of outputs) {
    if (output.kind === 'write') {
      mkdirSync(dirname(output.path), { recursive: true });
      writeFileSync(output.path, output.bytes);
      files.push(output.path);
    } else if (output.kind === 'append') {
      const existing = readFileSync(output.manifest, 'utf8');
      writeFileSync(output.manifest, `${existing.trimEnd()}\n\n${output.bytes.toString('utf8')}`);
      snippets.push(output.snippet);
    } else if (output.kind === 'merge') {
      writeFileSync(output.manifest, mergeIntoTable(readFileSync(output.manifest, 'utf8'), output.table, output.bytes.toString('utf8')));
      snippets.push(output.snippet);
    } else {
      mkdirSync(output.dir, { recursive: true });
    }
  }
  return { targetDir, files, snippets, values };
}

/**
 * Round trip of each template in templates/: render it the way `spin new` does into a scratch
 * copy of the repository's layout, check its spin.toml with our manifest model and with Spin's
 * published schema, build every component for real (one build per template and run, nothing
 * cached), start it on the local runtime and call its route or publish to its channel, run the
 * service's own tests, and type-check what was rendered. `spin add` into an existing service is
 * checked on the manifest and the build targets.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadMigrations } from '@authorworks/kit/migrations';
import { createEvent, signAccessToken } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { composeManifests, loadManifest, parseManifest } from '@authorworks/spin-manifest';
import { buildComponent, listServiceDirs } from '@authorworks/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate, type RenderResult } from './render.ts';
import {
  TEST_ENV,
  buildTargets,
  componentLog,
  databaseReader,
  leftoverLiquid,
  listRendered,
  recordedMigrations,
  timed,
  timings,
  type TemplateCase,
} from './round-trip.ts';
import { createScratchWorkspace, repoRoot, runServiceTests, templatesDir, typecheck, type ScratchWorkspace } from './scratch-workspace.ts';
import { spinSchemaErrors } from './spin-manifest-schema.ts';

const AUTH_SECRET = TEST_ENV.SPIN_VARIABLE_AUTH_SECRET;
// Access tokens name users by id, a UUID (the kit refuses any other subject).
const READER_1 = '3f1e6b2a-8c4d-4e5f-9a6b-7c8d9e0f1a2b';
const READER_2 = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const bearer = (userId: string) => ({ authorization: `Bearer ${signAccessToken({ sub: userId, roles: ['user'] }, { secret: AUTH_SECRET })}` });

const cases: TemplateCase[] = [
  {
    template: 'authorworks-http-api',
    name: 'Reading Lists',
    values: { 'http-prefix': 'reading', resource: 'shelves', 'resource-singular': 'shelf' },
    components: { 'reading-lists-api': 'spin-http' },
    files: [
      'migrations/001_shelves.sql',
      'package.json',
      'spin.toml',
      'src/index.ts',
      'src/shelves.ts',
      'test/api.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
    ],
    database: 'postgres://postgres@127.0.0.1:5432/authorworks_reading_lists',
    async exercise(app, rows) {
      const health = await app.fetch('/v1/reading/health');
      expect(await health.json()).toEqual({ status: 'ok', service: 'reading-lists', version: '0.1.0' });

      const create = await app.fetch('/v1/reading/shelves', {
        method: 'POST',
        headers: { ...bearer(READER_1), 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'To read', body: 'Next winter' }),
      });
      expect(create.status).toBe(201);
      const shelf = (await create.json()) as { id: string };
      expect(shelf).toMatchObject({ ownerId: READER_1, title: 'To read', body: 'Next winter' });

      const read = await app.fetch(`/v1/reading/shelves/${shelf.id}`, { headers: bearer(READER_1) });
      expect(await read.json()).toEqual(shelf);
      expect((await app.fetch(`/v1/reading/shelves/${shelf.id}`, { headers: bearer(READER_2) })).status).toBe(404);
      expect(await rows('SELECT type, subject, published_at IS NOT NULL AS published FROM outbox')).toEqual([
        { type: 'shelf.created', subject: shelf.id, published: true },
      ]);
      const invalid = await app.fetch('/v1/reading/shelves', {
        method: 'POST',
        headers: { ...bearer(READER_1), 'content-type': 'application/json' },
        body: '{"title": 42}',
      });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
      expect(app.logs.text('error')).toBe('');
    },
  },
  {
    template: 'authorworks-event-processor',
    name: 'catalog-indexer',
    values: { 'source-channel': 'content-events', 'event-type': 'content.published' },
    components: { 'catalog-indexer-worker': 'spin-redis' },
    files: [
      'migrations/100_content_published_counts.sql',
      'package.json',
      'spin.toml',
      'src/content-published.ts',
      'src/worker.ts',
      'test/worker.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
    ],
    database: 'postgres://postgres@127.0.0.1:5432/authorworks_catalog_indexer',
    async exercise(app, rows) {
      const publishedBook = () => createEvent({ type: 'content.published', source: 'content', subject: 'book-1', data: { entity: 'book' }, correlationId: 'r1' });
      const published = publishedBook();
      const again = publishedBook();
      await app.publish('content-events', JSON.stringify(published));
      await app.publish('content-events', JSON.stringify(published));
      await app.publish('content-events', JSON.stringify(again));
      expect(await rows('SELECT subject, count::int AS count, last_event_id AS "lastEventId" FROM content_published_counts')).toEqual([
        { subject: 'book-1', count: 2, lastEventId: again.id },
      ]);
      expect(componentLog(app, 'catalog-indexer-worker')).toContainEqual(expect.objectContaining({ msg: 'event skipped: already handled', eventId: published.id }));
      expect(app.logs.text('error')).toBe('');
    },
  },
  {
    template: 'authorworks-worker',
    name: 'Cover Render',
    values: { 'job-kind': 'cover_render' },
    components: { 'cover-render-worker': 'spin-redis' },
    files: [
      'migrations/100_cover_render_jobs.sql',
      'package.json',
      'spin.toml',
      'src/cover-render-jobs.ts',
      'src/worker.ts',
      'test/worker.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
    ],
    database: 'postgres://postgres@127.0.0.1:5432/authorworks_cover_render',
    async exercise(app, rows) {
      // A job row as enqueueJob writes it, then its nudge, twice: one run, one outcome.
      const [{ id }] = (await rows(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id)
         VALUES ('cover-render-jobs', 'cover_render', '{"input": {"bookId": "b1"}}', 5, 60, 5, 'r2') RETURNING id::text AS id`,
      )) as [{ id: string }];
      const nudge = createEvent({ type: 'job.requested', source: 'graphics', subject: id, data: {}, correlationId: 'r2' });
      await app.publish('cover-render-jobs', JSON.stringify(nudge));
      await app.publish('cover-render-jobs', JSON.stringify(nudge));
      expect(await rows(`SELECT id, input::text AS input, (result->>'inputKeys')::int AS "inputKeys" FROM cover_render_jobs`)).toEqual([
        { id, input: '{"bookId": "b1"}', inputKeys: 1 },
      ]);
      expect(await rows('SELECT state, attempts FROM jobs')).toEqual([{ state: 'succeeded', attempts: 1 }]);
      expect(componentLog(app, 'cover-render-worker').filter((l) => l.msg === 'job done')).toHaveLength(1);
      expect(app.logs.text('error')).toBe('');
    },
  },
];

let workspace: ScratchWorkspace;
const rendered = new Map<string, RenderResult>();
const addedServices: string[] = [];

beforeAll(() => {
  workspace = createScratchWorkspace();
});
afterAll(() => {
  workspace?.remove();
  if (timings.length) console.log(timings.map((t) => `${t.step}: ${t.seconds.toFixed(1)} s`).join('\n'));
});

describe.each(cases)('$template', (c) => {
  const serviceDir = () => rendered.get(c.template)?.targetDir ?? join(workspace.servicesDir, 'not-rendered');

  it('renders like `spin new -t … --accept-defaults` into services/<name>', async () => {
    const result = await timed(`${c.template}: render`, async () =>
      renderTemplate({ templateDir: join(templatesDir, c.template), name: c.name, cwd: workspace.servicesDir, outputPath: kebab(c.name), acceptDefaults: true, values: c.values ?? {} }),
    );
    rendered.set(c.template, result);
    expect(listRendered(result.targetDir, result.files)).toEqual([...c.files].sort());
    expect(result.files.flatMap(leftoverLiquid)).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(result.targetDir, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe(`@authorworks/service-${kebab(c.name)}`);
  });

  it('has a spin.toml our manifest model and Spin’s published schema both accept', () => {
    const file = join(serviceDir(), 'spin.toml');
    const text = readFileSync(file, 'utf8');
    expect(spinSchemaErrors(text)).toEqual([]);
    const manifest = parseManifest(text, file);
    expect(Object.keys(manifest.component).sort()).toEqual(Object.keys(c.components).sort());
  });

  it('builds each component into a Spin component with buildComponent', async () => {
    const targets = await buildTargets(serviceDir());
    expect(Object.fromEntries(targets.map((t) => [t.id, t.world]))).toEqual(c.components);
    for (const target of targets) {
      const result = await timed(`${c.template}: build ${target.id}`, () =>
        buildComponent({ id: target.id, entry: target.entry, world: target.world, outFile: target.outFile, force: true }),
      );
      expect(result.skipped).toBe(false);
      expect(result.bytes).toBeGreaterThan(1_000_000);
    }
  });

  it('runs on the local runtime (startApp), answering its route or handling its channel', async () => {
    let app: TestApp | undefined;
    try {
      app = await timed(`${c.template}: start on the local runtime`, () =>
        startApp({ manifest: join(serviceDir(), 'spin.toml'), env: TEST_ENV, migrate: true }),
      );
      // The kit's tables (outbox, processed_events) come from the kit's migrations, the service's own after them.
      const migrations = c.files.filter((f) => f.startsWith('migrations/')).map((f) => `service:${f.slice('migrations/'.length)}`);
      expect(await recordedMigrations(app, c.database)).toEqual(['kit:001_outbox.sql', 'kit:002_processed_events.sql', 'kit:003_jobs.sql', 'kit:004_jobs_finished.sql', 'kit:005_job_owners.sql', 'kit:006_job_pending.sql', 'kit:007_event_log_positions.sql', ...migrations]);
      await app.reset(); // a real database keeps rows from earlier runs
      await timed(`${c.template}: exercise`, () => c.exercise(app!, databaseReader(app!, c.database)));
    } finally {
      await app?.close();
    }
  });

  it('passes its own tests (vitest inside the rendered service)', async () => {
    const result = await timed(`${c.template}: its own tests`, () => runServiceTests(serviceDir()));
    expect(result.output).toMatch(/Tests\s+\d+ passed/);
    expect(result.ok, result.output).toBe(true);
  });
});

describe('spin add into an existing service', () => {
  const adds = [
    { base: 'authorworks-worker', add: 'authorworks-http-api', name: 'press', snippets: ['component', 'variables'] },
    { base: 'authorworks-http-api', add: 'authorworks-worker', name: 'library', snippets: ['application_trigger', 'component'] },
    { base: 'authorworks-http-api', add: 'authorworks-event-processor', name: 'archive', snippets: ['application_trigger', 'component'] },
  ] as const;

  it.each(adds)('adds $add to a service made from $base', async ({ base, add, name, snippets }) => {
    const serviceDir = join(workspace.servicesDir, name);
    renderTemplate({ templateDir: join(templatesDir, base), name, cwd: workspace.servicesDir, acceptDefaults: true });
    const before = readFileSync(join(serviceDir, 'package.json'), 'utf8');
    const result = renderTemplate({
      templateDir: join(templatesDir, add),
      name,
      addTo: join(serviceDir, 'spin.toml'),
      outputPath: '.',
      allowOverwrite: true,
      acceptDefaults: true,
    });
    addedServices.push(serviceDir);
    expect(result.snippets.sort()).toEqual([...snippets]);
    expect(readFileSync(join(serviceDir, 'package.json'), 'utf8')).toBe(before);

    const manifestFile = join(serviceDir, 'spin.toml');
    const text = readFileSync(manifestFile, 'utf8');
    expect(spinSchemaErrors(text)).toEqual([]);
    const manifest = parseManifest(text, manifestFile);
    expect(text.match(/^\[application\.trigger\.redis\]/gm)?.length ?? 0).toBeLessThanOrEqual(1);

    const targets = await buildTargets(serviceDir);
    expect(Object.fromEntries(targets.map((t) => [t.id, [t.world, t.entry.slice(serviceDir.length + 1)]]))).toEqual({
      [`${name}-api`]: ['spin-http', join('src', 'index.ts')],
      [`${name}-worker`]: ['spin-redis', join('src', 'worker.ts')],
    });

    // Both components' migrations live in one migrations/ folder without version clashes.
    const migrationsDir = join(serviceDir, 'migrations');
    const migrations = loadMigrations(readdirSync(migrationsDir).map((fileName) => ({ fileName, sql: readFileSync(join(migrationsDir, fileName), 'utf8') })));
    expect(migrations.map((migration) => migration.version)).toEqual([1, 100]);

    // The snippet writes the same component, trigger and variables as the template's own spin.toml.
    const alone = renderTemplate({ templateDir: join(templatesDir, add), name, cwd: join(workspace.root, 'alone'), acceptDefaults: true });
    const own = parseManifest(readFileSync(join(alone.targetDir, 'spin.toml'), 'utf8'), 'alone/spin.toml');
    for (const [id, component] of Object.entries(own.component)) expect(manifest.component[id]).toEqual(component);
    for (const [variable, settings] of Object.entries(own.variables)) expect(manifest.variables[variable]).toEqual(settings);
    for (const trigger of [...(own.trigger.http ?? []), ...(own.trigger.redis ?? [])]) {
      expect([...(manifest.trigger.http ?? []), ...(manifest.trigger.redis ?? [])]).toContainEqual(trigger);
    }
    if (own.application.trigger) expect(manifest.application.trigger).toEqual(own.application.trigger);
  });
});

describe('spin add into one of the repository’s own services', () => {
  it('adds a worker to a copy of services/user/spin.toml and keeps the service’s own variable settings', () => {
    const dir = join(workspace.root, 'user-copy');
    mkdirSync(dir);
    const manifestFile = join(dir, 'spin.toml');
    const original = readFileSync(join(repoRoot, 'services/user/spin.toml'), 'utf8');
    writeFileSync(manifestFile, original);
    const result = renderTemplate({ templateDir: join(templatesDir, 'authorworks-worker'), name: 'user', addTo: manifestFile, outputPath: '.', allowOverwrite: true, acceptDefaults: true });
    expect(result.snippets.sort()).toEqual(['application_trigger', 'component']);
    const text = readFileSync(manifestFile, 'utf8');
    expect(text.startsWith(original.trimEnd())).toBe(true);
    expect(spinSchemaErrors(text)).toEqual([]);
    const manifest = parseManifest(text, manifestFile);
    expect(manifest.variables.user_db_connection).toEqual(parseManifest(original, 'user').variables.user_db_connection);
    expect(manifest.component['user-worker']?.variables).toMatchObject({ db_connection: '{{ user_db_connection }}' });
    expect(manifest.trigger.redis).toEqual([{ channel: 'user-jobs', component: 'user-worker' }]);
  });
});

describe('rendered services', () => {
  it('type-check under the repository’s strict settings', async () => {
    const dirs = [...[...rendered.values()].map((r) => r.targetDir), ...addedServices];
    expect(dirs.length).toBeGreaterThan(0);
    const result = await timed('typecheck of rendered services', () => typecheck(workspace.root, dirs));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('compose with the repository’s services into one app, as `pnpm compose` does', async () => {
    // The repository's manifests, copied beside stand-in .wasm files: composition checks that
    // sources exist, and this test is about ids, routes and variables, not about built services.
    const copies: string[] = [];
    for (const dir of await listServiceDirs(repoRoot)) {
      const copy = join(workspace.root, 'repo-services', basename(dir));
      mkdirSync(copy, { recursive: true });
      cpSync(join(dir, 'spin.toml'), join(copy, 'spin.toml'));
      for (const component of Object.values((await loadManifest(join(copy, 'spin.toml'))).manifest.component)) {
        if (typeof component.source !== 'string') continue;
        mkdirSync(dirname(join(copy, component.source)), { recursive: true });
        writeFileSync(join(copy, component.source), '');
      }
      copies.push(join(copy, 'spin.toml'));
    }
    const built = [...rendered.values()].map((r) => join(r.targetDir, 'spin.toml'));
    const inputs = await Promise.all([...copies, ...built].map((file) => loadManifest(file)));
    const app = composeManifests(inputs, { root: workspace.root, application: { name: 'authorworks', version: '0.1.0' } });
    expect((app.manifest.trigger.http ?? []).map((t) => t.route)).toContain('/v1/reading/...');
    expect((app.manifest.trigger.redis ?? []).map((t) => t.channel)).toEqual(expect.arrayContaining(['content-events', 'cover-render-jobs']));
  });
});

function kebab(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

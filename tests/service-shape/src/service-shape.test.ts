// The one way to write a service (packages/kit/README.md), checked over every service and every
// `spin new` template, so the next service cannot drift from it unnoticed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Every service folder and every template's content folder (a service as `spin new` writes it). */
const serviceDirs = [
  ...readdirSync(join(root, 'services')).map((name) => join(root, 'services', name)),
  ...readdirSync(join(root, 'templates'))
    .map((name) => join(root, 'templates', name, 'content'))
    .filter((dir) => existsSync(dir)),
].filter((dir) => existsSync(join(dir, 'package.json')));

function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(suffix) && !file.split('/').includes('node_modules') && !file.split('/').includes('dist'))
    .map((file) => join(dir, file));
}

const label = (file: string) => relative(root, file);

describe('every service and template', () => {
  it('exists (the checks below look at something)', () => {
    expect(serviceDirs.map(label)).toEqual(expect.arrayContaining(['services/user', 'services/content', 'templates/authorworks-http-api/content']));
  });

  it('imports the Spin binding (@authorworks/kit/spin) only in a component entry, src/index.ts or src/worker.ts', () => {
    const offenders = serviceDirs.flatMap((dir) =>
      filesUnder(join(dir, 'src'), '.ts')
        .filter((file) => readFileSync(file, 'utf8').includes("from '@authorworks/kit/spin'"))
        .filter((file) => !['index.ts', 'worker.ts'].includes(relative(join(dir, 'src'), file)))
        .map(label),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps routes in resource files: no defineRoute in src/index.ts', () => {
    const offenders = serviceDirs.map((dir) => join(dir, 'src', 'index.ts')).filter((file) => existsSync(file) && readFileSync(file, 'utf8').includes('defineRoute('));
    expect(offenders.map(label)).toEqual([]);
  });

  it('does not create the kit’s tables (outbox, processed_events, event_log_positions) in its own migrations', () => {
    const kitTable = /CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(outbox|processed_events|event_log_positions)\b/i;
    const offenders = serviceDirs.flatMap((dir) => filesUnder(join(dir, 'migrations'), '.sql').filter((file) => kitTable.test(readFileSync(file, 'utf8'))));
    expect(offenders.map(label)).toEqual([]);
  });

  it('lets the harness migrate (startApp({ migrate: true }) or startService) instead of running migrations in its tests', () => {
    const offenders = serviceDirs.flatMap((dir) =>
      filesUnder(join(dir, 'test'), '.ts').filter((file) => /\b(runMigrations|loadMigrations|migrateServiceDatabase)\b/.test(readFileSync(file, 'utf8'))),
    );
    expect(offenders.map(label)).toEqual([]);
  });
});

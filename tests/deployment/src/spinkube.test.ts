import { readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoPath } from './repo-files.ts';
import { schemaErrors, validateSpinApp } from './schemas.ts';
import { seedResourceTable, type SeedService } from './seed-guide.ts';

interface SpinApp {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { replicas?: number; resources?: { limits?: { memory?: string } }; variables?: { name: string }[] };
}

const documents = parseAllDocuments(readRepoFile('deploy/spinkube/spinapps.yaml')).map((doc) => doc.toJS() as unknown);
const spinApps = documents as SpinApp[];
const serviceFolders = readdirSync(repoPath('services')).sort();
const replicasFor = { 'single instance': 1, 'multiple instances': 2, 'worker pool': 3 } as const;
const serviceOf = (app: SpinApp) => app.metadata.name.replace(/^authorworks-/, '');
/** The seed guide's services; the platform's edge component (services/platform) is the one folder outside its table. */
const seedApps = spinApps.filter((app) => serviceOf(app) in seedResourceTable);

function memoryMb(quantity: string | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

describe('deploy/spinkube/spinapps.yaml (where per-service limits live on Kubernetes)', () => {
  it.each(documents.map((doc, i) => [i, doc] as const))('document %i is a valid SpinApp (core.spinkube.dev/v1alpha1)', (_i, doc) => {
    expect(schemaErrors(validateSpinApp, doc)).toEqual([]);
    expect(doc).toMatchObject({ apiVersion: 'core.spinkube.dev/v1alpha1', kind: 'SpinApp' });
  });

  it('has one SpinApp per service folder', () => {
    expect(spinApps.map(serviceOf).sort()).toEqual(serviceFolders);
  });

  it("carries the seed guide's memory table and scaling strategy for each service", () => {
    expect(seedApps.map(serviceOf).sort()).toEqual(Object.keys(seedResourceTable).sort());
    for (const app of seedApps) {
      const service = serviceOf(app) as SeedService;
      const row = seedResourceTable[service];
      expect(memoryMb(app.spec.resources?.limits?.memory), service).toBe(row.memoryMb);
      expect(app.spec.replicas, service).toBe(replicasFor[row.scaling]);
    }
  });

  it('gives the platform component (not in the seed table) one small instance and no secret: it has none', () => {
    expect(spinApps.filter((app) => !seedApps.includes(app)).map(serviceOf)).toEqual(['platform']);
    const platform = spinApps.find((app) => serviceOf(app) === 'platform');
    expect(platform?.spec.replicas).toBe(1);
    expect(memoryMb(platform?.spec.resources?.limits?.memory)).toBe(128);
    expect(platform?.spec.variables ?? []).toEqual([]);
  });

  it('binds the required secret variables from a Kubernetes Secret, never as literal values', () => {
    for (const app of seedApps) {
      const names = (app.spec.variables ?? []).map((v) => v.name);
      expect(names, app.metadata.name).toContain('auth_secret');
      expect(JSON.stringify(app.spec.variables)).not.toMatch(/"value":/);
    }
  });
});

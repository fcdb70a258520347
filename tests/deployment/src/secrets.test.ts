import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { composeStrings, interpolationUses, loadCompose, loadEnvExample, serviceEnvironment } from './deployment-files.ts';
import { deploymentFiles, readRepoFile, repoRoot } from './repo-files.ts';

const envExample = loadEnvExample();
const documented = new Map(envExample.map((entry) => [entry.name, entry]));
const secretName = /SECRET|PASSWORD|TOKEN/;

describe('secrets stay out of the repository', () => {
  it('.env.example leaves every secret empty (an operator must generate each one)', () => {
    const secrets = envExample.filter((entry) => secretName.test(entry.name));
    expect(secrets.length).toBeGreaterThan(0);
    for (const entry of secrets) expect(entry.value, entry.name).toBe('');
  });

  it('docker-compose.yml takes every secret from .env, required (${NAME:?...}), never as a literal', () => {
    for (const [service, definition] of Object.entries(loadCompose().services)) {
      for (const [key, value] of Object.entries(serviceEnvironment(definition))) {
        if (!secretName.test(key)) continue;
        const match = /^\$\{([A-Z_]+):\?[^}]*\}$/.exec(value);
        expect(match, `${service}.environment.${key} = ${value}`).not.toBeNull();
        expect(documented.get(match?.[1] ?? '')?.value, `${key} → ${match?.[1]}`).toBe('');
      }
    }
  });

  it('URLs in docker-compose.yml carry passwords only as ${...} references', () => {
    for (const [service, definition] of Object.entries(loadCompose().services)) {
      for (const [key, value] of Object.entries(serviceEnvironment(definition))) {
        const userinfo = /^[a-z]+:\/\/([^@/]*)@/.exec(value)?.[1];
        if (userinfo?.includes(':')) expect(userinfo.slice(userinfo.indexOf(':') + 1), `${service}.environment.${key}`).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
      }
    }
  });

  it.each(deploymentFiles)('%s contains nothing that looks like a generated secret or key', (file) => {
    const text = readRepoFile(file);
    expect(text.match(/\b[0-9a-f]{32,}\b/gi) ?? []).toEqual([]);
    expect(text.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []).toEqual([]);
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });

  it('.env is ignored by git', () => {
    // check-ignore exits 0 when the path is ignored and 1 when it is not.
    expect(() => execFileSync('git', ['check-ignore', '--no-index', '-q', '.env'], { cwd: repoRoot, stdio: 'pipe' })).not.toThrow();
  });
});

describe('.env.example documents every variable docker-compose.yml uses', () => {
  const uses = composeStrings().flatMap(interpolationUses);

  it('compose interpolates variables (the list this test walks)', () => {
    expect(uses.length).toBeGreaterThan(0);
  });

  it('each one is in .env.example with a comment saying what it is', () => {
    for (const { name } of uses) {
      expect(documented.has(name), `${name} is not in .env.example`).toBe(true);
      expect(documented.get(name)?.comment.join(' ').length ?? 0, `${name} has no comment`).toBeGreaterThan(10);
    }
  });

  it('each entry of .env.example is used by docker-compose.yml or is a setting of docker compose itself', () => {
    const used = new Set(uses.map((use) => use.name));
    for (const { name } of envExample) expect(used.has(name) || name.startsWith('COMPOSE_'), `${name} is unused`).toBe(true);
  });

  it("the example's non-secret values match compose's own defaults, so both say the same thing", () => {
    for (const use of uses) {
      if (use.fallback === undefined) continue;
      expect(documented.get(use.name)?.value, use.name).toBe(use.fallback);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompose, loadSpinApp, serviceEnvironment } from './deployment-files.ts';
import { readRepoFile, repoPath } from './repo-files.ts';

const sqlFile = repoPath('deploy/postgres/create-databases.sql');
const { manifest } = await loadSpinApp();

/** authorworks_<svc> for every <svc>_db_connection variable of spin-all.toml. */
const manifestDatabases = Object.entries(manifest.variables)
  .filter(([name]) => name.endsWith('_db_connection'))
  .map(([name, variable]) => ({ name, database: new URL(variable.default ?? '').pathname.slice(1) }));

describe('deploy/postgres/create-databases.sql', () => {
  it('creates exactly the databases the services of spin-all.toml connect to', () => {
    const listed = [...readRepoFile('deploy/postgres/create-databases.sql').matchAll(/^\s*'(authorworks_[a-z_]+)',?$/gm)].map((m) => m[1]);
    expect(manifestDatabases.length).toBeGreaterThan(0);
    expect(listed.sort()).toEqual(manifestDatabases.map((d) => d.database).sort());
  });

  it("points each service's connection in docker-compose.yml at that same database on the postgres container", () => {
    const spinEnv = serviceEnvironment(loadCompose().services.spin ?? {});
    for (const { name, database } of manifestDatabases) {
      const value = spinEnv[`SPIN_VARIABLE_${name.toUpperCase()}`] ?? '';
      expect(value, name).toMatch(new RegExp(`^postgres://authorworks:\\$\\{[A-Z_]+:\\?[^}]*\\}@postgres:5432/${database}$`));
    }
  });
});

/** PostgreSQL 15+ server binaries (\getenv needs psql 15), as Debian installs them. */
function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).map(Number).filter((v) => v >= 15).sort((a, b) => b - a);
  return versions.map((v) => join(base, String(v), 'bin')).find((dir) => ['initdb', 'pg_ctl', 'psql'].every((b) => existsSync(join(dir, b))));
}

const postgresBin = findPostgresBin();
const isRoot = process.getuid?.() === 0;
// initdb refuses to run as root; as root, run the cluster as the `postgres` system user.
const postgresUid = isRoot ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()) : undefined;
const canRun = postgresBin !== undefined && (!isRoot || (Number.isInteger(postgresUid) && existsSync('/usr/sbin/runuser')));

describe.skipIf(!canRun)('create-databases.sql on a throwaway PostgreSQL cluster (skipped without PostgreSQL 15+ server binaries)', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'authorworks-db-setup-'));
  const port = String(40000 + Math.floor(Math.random() * 20000));
  const superuserPassword = 'superuser-test-password';

  function run(command: string, args: string[], env: Record<string, string> = {}) {
    const [file, argv] = isRoot ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), join(postgresBin ?? '', command), ...args]] : [join(postgresBin ?? '', command), args];
    return spawnSync(file, argv as string[], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  }
  const psql = (user: string, password: string, args: string[], env: Record<string, string> = {}) =>
    run('psql', ['--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', port, '-U', user, '-d', 'postgres', ...args], { PGPASSWORD: password, ...env });

  beforeAll(() => {
    if (isRoot && postgresUid !== undefined) chownSync(dir, postgresUid, -1);
    chmodSync(dir, 0o700);
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, superuserPassword);
    if (isRoot && postgresUid !== undefined) chownSync(pwfile, postgresUid, -1);
    // Password authentication, as in the postgres image, so the role's password is really checked.
    const init = run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`]);
    expect(init.status, init.stderr).toBe(0);
    // -l: the server's output goes to a file; otherwise it holds our pipes open until the timeout.
    const start = run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=''`, '-w', 'start']);
    expect(start.status, start.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });

  const databasesOwnedByAuthorworks = () =>
    psql('postgres', superuserPassword, ['-Atc', "SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = 'authorworks' ORDER BY 1"]).stdout.trim().split('\n').filter(Boolean);

  it('fails, creating nothing, when AUTHORWORKS_DB_PASSWORD is not set', () => {
    const result = psql('postgres', superuserPassword, ['-f', sqlFile]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('AUTHORWORKS_DB_PASSWORD is not set');
    expect(databasesOwnedByAuthorworks()).toEqual([]);
  });

  it('creates the role and every database on the first run, owned by the role, which can log in', () => {
    const result = psql('postgres', superuserPassword, ['-f', sqlFile], { AUTHORWORKS_DB_PASSWORD: 'first-password' });
    expect(result.status, result.stderr).toBe(0);
    expect(databasesOwnedByAuthorworks()).toEqual(manifestDatabases.map((d) => d.database).sort());
    const login = psql('authorworks', 'first-password', ['-d', 'authorworks_users', '-Atc', 'SELECT current_user']);
    expect(login.stdout.trim(), login.stderr).toBe('authorworks');
  });

  it('is safe to run again, and takes a new password from the environment (rotation)', () => {
    const again = psql('postgres', superuserPassword, ['-f', sqlFile], { AUTHORWORKS_DB_PASSWORD: 'second-password' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('CREATE DATABASE');
    expect(psql('authorworks', 'second-password', ['-Atc', 'SELECT 1']).status).toBe(0);
    expect(psql('authorworks', 'first-password', ['-Atc', 'SELECT 1']).status).not.toBe(0);
  });

  it('adds a database that went missing (an upgrade that brings a new service)', () => {
    expect(psql('postgres', superuserPassword, ['-c', 'DROP DATABASE authorworks_video']).status).toBe(0);
    const result = psql('postgres', superuserPassword, ['-f', sqlFile], { AUTHORWORKS_DB_PASSWORD: 'second-password' });
    expect(result.status, result.stderr).toBe(0);
    expect(databasesOwnedByAuthorworks()).toContain('authorworks_video');
  });
});


// Issue 18 item 5, end to end: the content service runs as its own runtime process
// (`spin-local up --tick 1`, as `pnpm start` runs it with `--tick 30`, or a `spin up` container
// beside the compose ticker), is SIGKILLed in the middle of a burst of chapter saves, and is started
// again. Nothing else happens — no request, no admin call — and every book's statistics must become
// right. Real PostgreSQL and Redis only: a killed process cannot hand its embedded ones to the next.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SqlClient, TestApp } from '@authorworks/spin-local';
import { expectJson } from '@authorworks/spin-local/testing';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, DB_ADDRESS, newUser, startContentApp } from './content-app.ts';
import { allRight, booksTruth, pause, type BookTruth } from './self-healing.ts';

const realServers = Boolean(process.env.DB_CONNECTION && process.env.REDIS_ADDRESS);
const CLI = fileURLToPath(new URL('../../../packages/spin-local/bin/spin-local.mjs', import.meta.url));
const MANIFEST = fileURLToPath(new URL('../spin.toml', import.meta.url));

interface Runtime {
  url: string;
  output(): string;
  kill(): Promise<void>;
}

/** The whole content app (API and worker) in a process of its own, ticking every second. */
async function startRuntime(): Promise<Runtime> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'up', '-f', MANIFEST, '--listen', '127.0.0.1:0', '--no-dev-secrets', '--tick', '1'], {
    env: { ...process.env, SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET, SPIN_VARIABLE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const serving = /Serving (http:\/\/\S+)/.exec(text)?.[1];
      if (serving && text.includes('Ticking')) resolve(serving);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`runtime exited (${code}) before it was ready:\n${text}`)));
  });
  return {
    url,
    output: () => text,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe.skipIf(!realServers)('content after a SIGKILL mid-burst (real PostgreSQL and Redis)', () => {
  let app: TestApp; // in this process only for the migrations and the SQL the test reads
  let sql: SqlClient;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    app = await startContentApp({ components: ['content-api'] });
    await app.reset();
    sql = await app.sql(DB_ADDRESS);
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.kill()));
    await sql?.close();
    await app?.close();
  });

  it('converges every book with nothing but a restart and the ticks', async () => {
    const author = newUser();
    const first = await startRuntime();
    runtimes.push(first);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${first.url}/v1/content${path}`, {
        method,
        headers: { ...author.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const chapters: { id: string; version: number }[] = [];
    const bookIds: string[] = [];
    for (let b = 0; b < 6; b++) {
      const book = await expectJson(call('POST', '/books', { title: `Book ${b}` }), 201, z.object({ id: z.string() }));
      bookIds.push(book.id);
      for (let c = 0; c < 3; c++) {
        const chapter = await expectJson(call('POST', `/books/${book.id}/chapters`, { title: `Chapter ${c}` }), 201, z.object({ id: z.string() }));
        chapters.push({ id: chapter.id, version: 0 });
      }
    }
    const current = await expectJson(call('GET', `/chapters/${chapters[0]!.id}/content`), 200, z.object({ version: z.number() }));
    for (const chapter of chapters) chapter.version = current.version;

    // The burst: every chapter saved eight times in a row, all chapters at once; the process is
    // killed once a third of the saves have answered, with the rest in flight.
    const saves = chapters.length * 8;
    let answered = 0;
    let killed = false;
    const killing = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (answered >= saves / 3) {
          clearInterval(check);
          killed = true;
          void first.kill().then(resolve);
        }
      }, 2);
    });
    await Promise.all(
      chapters.map(async (chapter, index) => {
        for (let round = 1; round <= 8 && !killed; round++) {
          const words = Array.from({ length: 10 * round + index }, (_, i) => `word${i}`).join(' ');
          try {
            const saved = await expectJson(call('PUT', `/chapters/${chapter.id}/content`, { baseVersion: chapter.version, content: words }), 200, z.object({ version: z.number() }));
            chapter.version = saved.version;
            answered++;
          } catch (error) {
            if (!killed) throw error;
          }
        }
      }),
    );
    await killing;
    expect(answered).toBeGreaterThanOrEqual(saves / 3);
    expect(answered).toBeLessThan(saves);

    const atTheCrash = await booksTruth(sql, bookIds);
    // What the crash left: books whose statistics do not match their chapters (the worker was
    // behind, or the events never left the outbox).
    expect(allRight(atTheCrash), JSON.stringify(atTheCrash)).toBe(false);

    // Started again. From here on the test only reads the database.
    const second = await startRuntime();
    runtimes.push(second);
    let books: BookTruth[] = atTheCrash;
    for (let waited = 0; waited < 90 && !allRight(books); waited++) {
      await pause(1000);
      books = await booksTruth(sql, bookIds);
    }
    expect(books.map((book) => [book.shown, book.fresh]), second.output().slice(-4000)).toEqual(books.map((book) => [book.truth, true]));
    // And none of this test's events is left behind in the outbox. Saves that committed just before
    // the kill left their events unpublished; the outbox sweep republishes them, but at most once
    // per 15 s per service (a Redis key the killed process may have just set), so the statistics
    // (recounted by the ticks) can be right before the last event has left. Only this test's books
    // and chapters are counted: other files run the content service on this database too.
    const subjects = [...bookIds, ...chapters.map((chapter) => chapter.id)];
    const unpublished = async () =>
      (await sql.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND subject = ANY($1::text[])`, [subjects])).rows[0]!.n as number;
    let left = await unpublished();
    for (let waited = 0; waited < 60 && left > 0; waited++) {
      await pause(1000);
      left = await unpublished();
    }
    expect(left).toBe(0);
  }, 240_000);
});

// Proof of convergence on the compiled component: simulated clients that each keep the text they
// last saw from the server, an operation in flight and edits not yet sent, edit from stale
// versions, lose answers and retry, fall behind and catch up, all against one document. Every
// client must end with the server's text; the server's log, replayed, must give the server's
// text; each edit a client sent is in the log exactly once; comment ranges stay inside the text
// and where the log moves them.
import { randomUUID } from 'node:crypto';
import type { TestApp } from '@authorworks/spin-local';
import fc from 'fast-check';
import { type TextOp, type as textType } from 'ot-text-unicode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Committed, EditorDocument, OperationList, chapterWith, editor, expectJson, newUser, startEditorApp, type User } from './editor-app.ts';

let app: TestApp;
let call: ReturnType<typeof editor>;
beforeAll(async () => {
  app = await startEditorApp({ editor_requests_per_minute: '100000', editor_snapshot_every: '40' });
  call = editor(app);
});
afterAll(async () => {
  await app?.close();
});

const CommentCreated = z.object({ id: z.uuid(), range: z.object({ start: z.number(), end: z.number() }), version: z.number().int() });
const CommentList = z.object({
  version: z.number().int(),
  items: z.array(z.object({ id: z.uuid(), range: z.object({ start: z.number(), end: z.number() }), collapsed: z.boolean() })),
  nextCursor: z.string().nullable(),
});

const codePointLength = (text: string) => [...text].length;

/** One simulated editor: the classic OT client (one operation in flight, the rest buffered). */
class Client {
  version = 0;
  /** The server's text at `version`. */
  serverText = '';
  inflight: { op: TextOp; opId: string; base: number; acked: number | null } | null = null;
  pending: TextOp | null = null;
  sentOpIds = new Set<string>();
  edits = 0;

  constructor(readonly user: User, readonly chapterId: string) {}

  get text(): string {
    let text = this.serverText;
    if (this.inflight) text = textType.apply(text, this.inflight.op);
    if (this.pending) text = textType.apply(text, this.pending);
    return text;
  }

  async load(): Promise<void> {
    const document = await expectJson(call('GET', `/documents/${this.chapterId}`, this.user), 200, EditorDocument);
    this.version = document.version;
    this.serverText = document.text;
  }

  edit(op: TextOp): void {
    this.pending = this.pending ? textType.compose(this.pending, op) : op;
    this.edits++;
  }

  /** Sends what is buffered (when nothing is in flight); `loseAnswer` drops the reply, as a broken connection would. */
  async send(loseAnswer = false): Promise<void> {
    if (!this.inflight) {
      if (!this.pending) return;
      this.inflight = { op: this.pending, opId: randomUUID(), base: this.version, acked: null };
      this.pending = null;
      this.sentOpIds.add(this.inflight.opId);
    }
    const { op, opId, base } = this.inflight;
    const reply = await expectJson(call('POST', `/documents/${this.chapterId}/operations`, this.user, { baseVersion: base, ops: op, opId }), 200, Committed);
    if (!loseAnswer && this.inflight?.opId === opId) this.inflight.acked = reply.version;
  }

  /** Catches up with everything committed since `version`, page by page. */
  async sync(): Promise<void> {
    let cursor: string | null = null;
    do {
      const path: string = cursor ? `operations?cursor=${cursor}` : `operations?since=${this.version}`;
      const page = await expectJson(call('GET', `/documents/${this.chapterId}/${path}`, this.user), 200, OperationList);
      for (const item of page.items) this.receive(item.version, item.op as TextOp);
      cursor = page.nextCursor;
    } while (cursor);
  }

  private receive(version: number, op: TextOp): void {
    expect(version).toBe(this.version + 1);
    if (this.inflight && this.inflight.acked === version) {
      // Our own operation, as the server transformed it: the same as our in-flight one by now.
      expect(op).toEqual(this.inflight.op);
      this.inflight = null;
    } else {
      let incoming = op;
      if (this.inflight) {
        const mine = textType.transform(this.inflight.op, incoming, 'left');
        incoming = textType.transform(incoming, this.inflight.op, 'right');
        this.inflight.op = mine;
      }
      if (this.pending) {
        const mine = textType.transform(this.pending, incoming, 'left');
        incoming = textType.transform(incoming, this.pending, 'right');
        this.pending = mine;
      }
    }
    this.serverText = textType.apply(this.serverText, op);
    this.version = version;
  }

  /** Sends and catches up until nothing is left unsent or unconfirmed. */
  async flush(): Promise<void> {
    for (let round = 0; round < 50 && (this.inflight || this.pending); round++) {
      await this.send();
      await this.sync();
    }
    await this.sync();
    expect(this.inflight).toBeNull();
    expect(this.pending).toBeNull();
  }
}

const ALPHABET = ['a', 'b', 'c', ' ', 'é', '😀', '\n', 'z'];

/** A random edit of `text` from numbers fast-check chose: insert, delete or replace at a position. */
function randomEdit(text: string, choice: { kind: number; at: number; size: number; insert: number[] }): TextOp {
  const length = codePointLength(text);
  const at = Math.floor(choice.at * (length + 1));
  const deletable = length - at;
  const deleteCount = deletable === 0 ? 0 : 1 + Math.floor(choice.size * Math.min(deletable, 12));
  const inserted = choice.insert.map((i) => ALPHABET[i % ALPHABET.length]).join('');
  const op: TextOp = at > 0 ? [at] : [];
  if (choice.kind < 0.5 || deleteCount === 0) op.push(inserted);
  else if (choice.kind < 0.8) op.push({ d: deleteCount });
  else op.push({ d: deleteCount }, inserted);
  return textType.normalize(op);
}

const Step = fc.record({
  client: fc.nat(3),
  action: fc.constantFrom('edit', 'edit', 'edit', 'send', 'send', 'sync', 'lostAnswer', 'comment', 'together'),
  edits: fc.array(
    fc.record({ kind: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), size: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), insert: fc.array(fc.nat(20), { minLength: 1, maxLength: 6 }) }),
    { minLength: 1, maxLength: 10 },
  ),
});

describe('convergence', () => {
  it('brings every client to the server’s text, with each edit applied exactly once (randomized, several clients, stale bases, lost answers)', async () => {
    // Rounds of random steps (CI's real-backend run does one; each run draws new ones).
    const runs = Number(process.env.EDITOR_CONVERGENCE_RUNS ?? 3);
    let totalEdits = 0;
    let totalCommits = 0;
    let staleCommits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 150, maxLength: 200 }), async (steps) => {
        const users = [newUser(), newUser(), newUser(), newUser()];
        const { chapterId } = await chapterWith(app, users[0]!, 'The quick brown fox 🦊 jumps.', { editor: users.slice(1) });
        const clients = users.map((user) => new Client(user, chapterId));
        for (const client of clients) await client.load();
        const comments: z.infer<typeof CommentCreated>[] = [];

        for (const step of steps) {
          const client = clients[step.client]!;
          // Typing goes on all the time: the acting client edits before it sends, syncs or edits more.
          if (step.action === 'edit' || step.action === 'send' || step.action === 'sync') {
            for (const choice of step.edits) client.edit(randomEdit(client.text, choice));
          }
          if (step.action === 'edit') {
            // Only typing.
          } else if (step.action === 'send') {
            await client.send();
          } else if (step.action === 'sync') {
            await client.sync();
          } else if (step.action === 'lostAnswer') {
            // The reply never arrives; the retry with the same opId must not apply it twice.
            client.edit(randomEdit(client.text, step.edits[0]!));
            await client.send(true);
            await client.send();
          } else if (step.action === 'comment') {
            await client.sync();
            const length = codePointLength(client.serverText);
            const start = Math.floor(step.edits[0]!.at * length);
            const end = Math.min(length, start + 1 + Math.floor(step.edits[0]!.size * 10));
            comments.push(await expectJson(call('POST', `/documents/${chapterId}/comments`, client.user, { version: client.version, range: { start, end }, body: 'Look here' }), 201, CommentCreated));
          } else {
            // Every client edits and sends at once: truly concurrent commits.
            for (const each of clients) each.edit(randomEdit(each.text, step.edits[0]!));
            await Promise.all(clients.map((each) => each.send()));
          }
        }
        for (const client of clients) await client.flush();
        for (const client of clients) await client.sync();

        const server = await expectJson(call('GET', `/documents/${chapterId}`, users[0]!), 200, EditorDocument);
        for (const client of clients) {
          expect(client.version).toBe(server.version);
          expect(client.text).toBe(server.text);
        }
        expect(server.length).toBe(codePointLength(server.text));

        // The log replayed from the chapter's text is the server's text; each sent edit is in it once.
        const log: { version: number; op: TextOp; authorId: string; baseVersion: number }[] = [];
        let cursor: string | null = null;
        do {
          const path: string = cursor ? `operations?cursor=${cursor}` : 'operations?since=0';
          const page = await expectJson(call('GET', `/documents/${chapterId}/${path}`, users[0]!), 200, OperationList);
          log.push(...page.items.map((item) => ({ version: item.version, op: item.op as TextOp, authorId: item.authorId, baseVersion: item.baseVersion })));
          cursor = page.nextCursor;
        } while (cursor);
        expect(log.map((entry) => entry.version)).toEqual(Array.from({ length: server.version }, (_, i) => i + 1));
        expect(log.reduce((text, entry) => textType.apply(text, entry.op), 'The quick brown fox 🦊 jumps.')).toBe(server.text);
        for (const client of clients) expect(log.filter((entry) => entry.authorId === client.user.id).length).toBe(client.sentOpIds.size);

        // Comments: inside the text, and where the log's operations move them.
        const listed = await expectJson(call('GET', `/documents/${chapterId}/comments?limit=100`, users[0]!), 200, CommentList);
        expect(listed.items.length).toBe(comments.length);
        for (const made of comments) {
          const now = listed.items.find((item) => item.id === made.id)!;
          expect(now.range.start).toBeGreaterThanOrEqual(0);
          expect(now.range.end).toBeGreaterThanOrEqual(now.range.start);
          expect(now.range.end).toBeLessThanOrEqual(server.length);
          let expected = made.range;
          for (const entry of log.filter((e) => e.version > made.version)) {
            const start = transformEdge(expected.start, entry.op, 'after');
            expected = { start, end: Math.max(start, transformEdge(expected.end, entry.op, 'before')) };
          }
          expect(now.range).toEqual(expected);
        }

        totalEdits += clients.reduce((sum, client) => sum + client.edits, 0);
        totalCommits += server.version;
        staleCommits += log.filter((entry) => entry.baseVersion < entry.version - 1).length;
      }),
      { numRuns: runs, endOnFailure: true },
    );
    // Hundreds of edits per round (composed into fewer commits as real clients do).
    expect(totalEdits).toBeGreaterThan(300 * runs);
    // Many of them made from a stale version (transformed by the server): one round made 10–30.
    expect(staleCommits).toBeGreaterThan(3 * runs);
    console.info(`convergence: ${totalEdits} edits in ${totalCommits} commits, ${staleCommits} of them from a stale base`);
  }, 900_000);

  it('serialises 20 truly concurrent requests on one document: versions 1..20, each answer the operation the log holds', async () => {
    const author = newUser();
    const writers = Array.from({ length: 19 }, () => newUser());
    const { chapterId } = await chapterWith(app, author, '0123456789', { editor: writers });
    await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    const everyone = [author, ...writers];
    const replies = await Promise.all(
      everyone.map((user, i) => expectJson(call('POST', `/documents/${chapterId}/operations`, user, { baseVersion: 0, ops: i % 11 === 0 ? [`<${i}>`] : [i % 11, `<${i}>`] }), 200, Committed)),
    );
    expect(replies.map((reply) => reply.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const log = await expectJson(call('GET', `/documents/${chapterId}/operations?since=0`, author), 200, OperationList);
    for (const reply of replies) expect(log.items.find((item) => item.version === reply.version)?.op).toEqual(reply.ops);
    const server = await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    expect(log.items.reduce((text, item) => textType.apply(text, item.op as TextOp), '0123456789')).toBe(server.text);
    for (let i = 0; i < 20; i++) expect(server.text.split(`<${i}>`).length).toBe(2);
    expect(server.text.replace(/<\d+>/g, '')).toBe('0123456789');
  });
});

/** The server's rule for a comment's edges (text-ops.ts transformPosition), restated independently. */
function transformEdge(position: number, op: TextOp, bias: 'before' | 'after'): number {
  let oldAt = 0;
  let newAt = 0;
  for (const component of op) {
    if (typeof component === 'number') {
      if (position < oldAt + component) return newAt + position - oldAt;
      oldAt += component;
      newAt += component;
    } else if (typeof component === 'string') {
      if (oldAt === position && bias === 'before') return newAt;
      newAt += codePointLength(component);
    } else {
      const length = typeof component.d === 'number' ? component.d : codePointLength(component.d);
      if (position < oldAt + length) return newAt;
      oldAt += length;
    }
  }
  return newAt + position - oldAt;
}

// The messaging service with the content service in one app (spin-all.toml, the components
// these tests need): real events from content's outbox reach the processor by pub/sub, and the
// event log lets it recover those it failed to handle.
import { fileURLToPath } from 'node:url';
import { Book, Collaborator, Conversation, Notification, Page } from '@authorworks/domain';
import type { SqlClient, TestApp } from '@authorworks/spin-local';
import { fetchAs, serviceCaller, startService } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, DB_ADDRESS, expectJson, freshEventLogs, newUser, type User } from './messaging-app.ts';

let app: TestApp;
let sql: SqlClient;

beforeAll(async () => {
  app = await startService({
    manifest: fileURLToPath(new URL('../../../spin-all.toml', import.meta.url)),
    components: ['content-api', 'messaging-api', 'messaging-worker'],
    authSecret: AUTH_SECRET,
  });
  await freshEventLogs(app);
  sql = await app.sql(DB_ADDRESS);
});
afterAll(async () => {
  await sql?.close();
  await app?.close();
});

const content = (method: string, path: string, as: User, body?: unknown) => serviceCaller(app, '/v1/content')(method, path, { as, body });
const messaging = (method: string, path: string, as: User, body?: unknown) => serviceCaller(app, '/v1/messaging')(method, path, { as, body });

async function invite(author: User, bookId: string, invitee: User) {
  return expectJson(content('POST', `/books/${bookId}/collaborators`, author, { userId: invitee.id, role: 'editor' }), 201, Collaborator);
}

async function notificationsOf(user: User) {
  await app.waitForIdle();
  return (await expectJson(messaging('GET', '/notifications', user), 200, Page(Notification))).items;
}

describe('content and messaging together', () => {
  it('turns an invite into a notification the stream delivers, and an acceptance into a book conversation member', async () => {
    const author = newUser();
    const invitee = newUser();
    const book = await expectJson(content('POST', '/books', author, { title: 'The Night Mail' }), 201, Book);
    const sent = await invite(author, book.id, invitee);

    const [notification] = await notificationsOf(invitee);
    expect(notification).toMatchObject({ type: 'collaborator_invited', title: 'You are invited to "The Night Mail"', link: `/v1/content/invites/${sent.id}` });
    const stream = await fetchAs(app, '/v1/messaging')('GET', '/stream', { as: invitee });
    const text = await stream.text();
    expect(text).toBe(`id: 1\nevent: notification.created\ndata: ${JSON.stringify(notification)}\n\nretry: 3000\n\n`);

    expect((await content('POST', `/invites/${sent.id}/accept`, invitee)).status).toBe(200);
    expect((await notificationsOf(author)).map((n) => n.type)).toEqual(['invite_accepted']);
    const room = await expectJson(messaging('POST', '/conversations', invitee, { kind: 'book', bookId: book.id }), 201, Conversation);
    expect(room.memberCount).toBe(2);
  });

  it('recovers events it failed to handle from the event log, with the next message', async () => {
    const author = newUser();
    const victim = newUser();
    const book = await expectJson(content('POST', '/books', author, { title: 'Lost and Found' }), 201, Book);
    await app.waitForIdle();
    // The processor fails on every notification for the victim, as if its database were down for it.
    const fn = `fail_for_${victim.id.replaceAll('-', '_')}`;
    await sql.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.user_id = '${victim.id}'::uuid THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await sql.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      await invite(author, book.id, victim);
      const second = await expectJson(content('POST', '/books', author, { title: 'Second Try' }), 201, Book);
      await invite(author, second.id, victim);
      expect(await notificationsOf(victim)).toEqual([]);
    } finally {
      await sql.query(`DROP TRIGGER ${fn} ON notifications`);
      await sql.query(`DROP FUNCTION ${fn}()`);
    }
    // Any later event on any channel the processor hears makes it catch up.
    await expectJson(content('POST', '/books', newUser(), { title: 'Unrelated' }), 201, Book);
    const recovered = await notificationsOf(victim);
    expect(recovered.map((n) => n.title).sort()).toEqual(['You are invited to "Lost and Found"', 'You are invited to "Second Try"']);
    // Handled once each, however many times the log is read again.
    await expectJson(content('POST', '/books', newUser(), { title: 'Another' }), 201, Book);
    expect(await notificationsOf(victim)).toHaveLength(2);
  });
});

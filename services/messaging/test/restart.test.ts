// The processor stopped while events are produced, then started again: it finds every event it
// missed in the event log. Two apps in turn on the same servers, so this needs real PostgreSQL and
// Redis (the embedded ones live and die with their app); end-to-end.test.ts covers the catch-up
// on embedded backends through failures injected in the database. The project runs its files one
// at a time (vitest.config.ts), so no other test's processor is listening meanwhile.
import { fileURLToPath } from 'node:url';
import { Book, Collaborator, Notification, Page } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { serviceCaller, startService } from '@authorworks/spin-local/testing';
import { describe, expect, it } from 'vitest';
import { AUTH_SECRET, DB_ADDRESS, expectJson, freshEventLogs, newUser, type User } from './messaging-app.ts';

const realBackends = Boolean(process.env.DB_CONNECTION && process.env.REDIS_ADDRESS);

function start(components: string[]): Promise<TestApp> {
  return startService({ manifest: fileURLToPath(new URL('../../../spin-all.toml', import.meta.url)), components, authSecret: AUTH_SECRET });
}

describe.skipIf(!realBackends)('a stopped processor', () => {
  it('handles every event produced while it was down once it runs again', async () => {
    const author = newUser();
    const invitees: User[] = Array.from({ length: 5 }, () => newUser());
    const inviteIds: string[] = [];

    const down = await start(['content-api', 'messaging-api']);
    try {
      await freshEventLogs(down);
      const content = serviceCaller(down, '/v1/content');
      const book = await expectJson(content('POST', '/books', { as: author, body: { title: 'While You Were Out' } }), 201, Book);
      for (const invitee of invitees) {
        const invite = await expectJson(content('POST', `/books/${book.id}/collaborators`, { as: author, body: { userId: invitee.id, role: 'viewer' } }), 201, Collaborator);
        inviteIds.push(invite.id);
      }
      await down.waitForIdle();
      const messaging = serviceCaller(down, '/v1/messaging');
      for (const invitee of invitees) {
        expect((await expectJson(messaging('GET', '/notifications', { as: invitee }), 200, Page(Notification))).items).toEqual([]);
      }
    } finally {
      await down.close();
    }

    const up = await start(['content-api', 'messaging-api', 'messaging-worker']);
    try {
      // Its first message (any event on its channels) makes it catch up.
      await expectJson(serviceCaller(up, '/v1/content')('POST', '/books', { as: newUser(), body: { title: 'Anything' } }), 201, Book);
      await up.waitForIdle();
      const messaging = serviceCaller(up, '/v1/messaging');
      for (const [i, invitee] of invitees.entries()) {
        const { items } = await expectJson(messaging('GET', '/notifications', { as: invitee }), 200, Page(Notification));
        expect(items).toEqual([expect.objectContaining({ type: 'collaborator_invited', link: `/v1/content/invites/${inviteIds[i]}` })]);
      }
      const sql = await up.sql(DB_ADDRESS);
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM notifications WHERE link = ANY($1::text[])`, [
        `{${inviteIds.map((id) => `/v1/content/invites/${id}`).join(',')}}`,
      ]);
      await sql.close();
      expect(rows[0]).toEqual({ n: invitees.length });
    } finally {
      await up.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { permissionsFor } from './access.ts';

const book = (status: string, visibility: string) => ({ bookId: 'b', authorId: 'author', status, visibility });

describe('permissionsFor', () => {
  it('gives the author everything but never an outsider more than reading a published book', () => {
    expect(permissionsFor(book('draft', 'private'), 'author', null, false)).toMatchObject({
      role: 'author', canRead: true, canComment: true, canWrite: true, canPublish: true, canManageCollaborators: true, canDelete: true,
    });
    for (const visibility of ['public', 'unlisted']) {
      expect(permissionsFor(book('published', visibility), 'someone', null, false)).toMatchObject({
        role: null, canRead: true, canComment: false, canWrite: false, canPublish: false, canDelete: false,
      });
      expect(permissionsFor(book('published', visibility), null, null, false).canRead).toBe(true);
    }
    for (const [status, visibility] of [['published', 'private'], ['draft', 'public'], ['archived', 'unlisted']]) {
      expect(permissionsFor(book(status!, visibility!), 'someone', null, false).canRead).toBe(false);
      expect(permissionsFor(book(status!, visibility!), null, null, false).canRead).toBe(false);
    }
  });

  it('grades collaborator roles and lets admins read and delete but not write', () => {
    const on = (role: 'owner' | 'editor' | 'reviewer' | 'viewer') => permissionsFor(book('draft', 'private'), 'c', role, false);
    expect(on('owner')).toMatchObject({ canWrite: true, canPublish: true, canManageCollaborators: true, canDelete: false });
    expect(on('editor')).toMatchObject({ canWrite: true, canPublish: false, canManageCollaborators: false, canDelete: false });
    expect(on('reviewer')).toMatchObject({ canRead: true, canComment: true, canWrite: false });
    expect(on('viewer')).toMatchObject({ canRead: true, canComment: false, canWrite: false });
    expect(permissionsFor(book('draft', 'private'), 'admin', null, true)).toMatchObject({
      role: null, canRead: true, canWrite: false, canPublish: false, canDelete: true,
    });
  });
});

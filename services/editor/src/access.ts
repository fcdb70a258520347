import { forbidden, type RequestContext } from '@authorworks/kit';
import type { ChapterPermissions } from '@authorworks/domain';
import { chapterPermissions } from './content-service.ts';

/** What a route needs: owners and editors write, reviewers also comment, viewers read. */
export type Ability = 'read' | 'comment' | 'write';

const DENIED: Record<Exclude<Ability, 'read'>, string> = {
  comment: 'Only the author and collaborators with the owner, editor or reviewer role may comment on this chapter',
  write: 'Only the author and collaborators with the owner or editor role may edit this chapter',
};

/**
 * The `errors` of a route behind `requireChapterAccess`, for its spec: 404 for a caller who may not
 * read the chapter, 403 with the reason above for one who may read it but not do `ability`.
 */
export function accessErrors(ability: Ability = 'read'): Record<number, string> {
  const errors: Record<number, string> = { 404: 'No chapter with that id the caller may read' };
  if (ability !== 'read') errors[403] = DENIED[ability];
  return errors;
}

/**
 * The caller's permissions on the chapter, asked of the content service on every request (so a
 * removed collaborator loses access at once). Who may not read the chapter gets 404 (from the
 * content service), who may read but not do this 403.
 */
export async function requireChapterAccess(
  context: Pick<RequestContext, 'callService' | 'config' | 'log'>,
  chapterId: string,
  ability: Ability,
): Promise<ChapterPermissions> {
  const permissions = await chapterPermissions(context, chapterId);
  if (ability === 'write' && !permissions.canWrite) throw forbidden(DENIED.write);
  if (ability === 'comment' && !permissions.canComment) throw forbidden(DENIED.comment);
  return permissions;
}

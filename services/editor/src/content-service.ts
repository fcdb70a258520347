// The editor's calls to the content service, service to service with the caller's own token (so
// the content service decides with its own rules what this user may do), through Spin's
// in-process chaining: `http://content-api.spin.internal`, listed in allowed_outbound_hosts.
import { ChapterContent, ChapterPermissions } from '@authorworks/domain';
import { HttpError, notFound, type RequestContext } from '@authorworks/kit';
import { z } from 'zod';

type Caller = Pick<RequestContext, 'callService' | 'config' | 'log'>;

function contentUrl(context: Caller, path: string): string {
  const base = context.config.optional('content_url', 'http://content-api.spin.internal').replace(/\/+$/, '');
  return `${base}/v1/content${path}`;
}

const unavailable = (cause?: unknown) =>
  new HttpError(503, 'content_unavailable', 'The content service did not answer; try again shortly', { headers: { 'retry-after': '2' }, cause });

async function callContent<Schema extends z.ZodType>(context: Caller, path: string, schema: Schema, init: RequestInit = {}): Promise<z.output<Schema>> {
  let response: Response;
  try {
    response = await context.callService(contentUrl(context, path), init);
  } catch (error) {
    context.log.error('content service unreachable', { path, error });
    throw unavailable(error);
  }
  const text = await response.text();
  if (response.status === 404) throw notFound('No chapter with that id');
  if (!response.ok) {
    // The content service's own 4xx (its error envelope) is passed on; anything else is its failure.
    if (response.status >= 400 && response.status < 500) {
      const envelope = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(safeJson(text));
      if (envelope.success) throw new HttpError(response.status, envelope.data.error.code, envelope.data.error.message);
    }
    context.log.error('content service failed', { path, status: response.status });
    throw unavailable();
  }
  const parsed = schema.safeParse(safeJson(text));
  if (!parsed.success) {
    context.log.error('content service answered an unexpected shape', { path, issues: parsed.error.issues.slice(0, 3) });
    throw unavailable();
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The caller's permissions on a chapter; 404 when the chapter does not exist or they may not read it. */
export function chapterPermissions(context: Caller, chapterId: string): Promise<ChapterPermissions> {
  return callContent(context, `/chapters/${encodeURIComponent(chapterId)}/permissions`, ChapterPermissions);
}

export function chapterContent(context: Caller, chapterId: string): Promise<ChapterContent> {
  return callContent(context, `/chapters/${encodeURIComponent(chapterId)}/content`, ChapterContent);
}

const SavedVersion = z.object({ version: z.number().int().positive() });

/**
 * Saves `text` as the chapter's next content version. If the chapter moved on in the content
 * service since `baseVersion` (saved outside the editor), the save is retried once on the newest
 * version: a checkpoint records the editor's text as it is.
 */
export async function saveChapterVersion(
  context: Caller,
  chapterId: string,
  save: { baseVersion: number; text: string; format: string; message: string },
): Promise<number> {
  const url = `/chapters/${encodeURIComponent(chapterId)}/content`;
  const send = (base: number) => ({
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ baseVersion: base, content: save.text, format: save.format, message: save.message }),
  });
  try {
    return (await callContent(context, url, SavedVersion, send(save.baseVersion))).version;
  } catch (error) {
    if (!(error instanceof HttpError) || error.code !== 'version_conflict') throw error;
  }
  const current = await chapterContent(context, chapterId);
  return (await callContent(context, url, SavedVersion, send(current.version))).version;
}

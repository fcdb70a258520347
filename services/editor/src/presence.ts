import { PresenceAnswer, PresenceList } from '@authorworks/domain';
import { HttpError, badRequest, defineRoute, json, queryRows, redisText, utf8, type RedisClient, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { DOCUMENT_TOO_LARGE, DocumentParams, Version, oldestVersion, openDocument, reloadRequired } from './documents.ts';
import { editorThrottle } from './operations.ts';
import { transformPosition, type Operation } from './text-ops.ts';

/** A user's cursor is shown this long after their last update (clients refresh it while active). */
export const PRESENCE_TTL_SECONDS = 30;
/** People shown at once on one document. */
export const MAX_PRESENT = 100;

const presenceKey = (chapterId: string) => `editor:presence:${chapterId}`;

const Stored = z.object({
  userId: z.string(),
  version: z.number().int(),
  cursor: z.number().int(),
  selection: z.object({ start: z.number().int(), end: z.number().int() }).nullable(),
  expiresAt: z.number(),
});
type Stored = z.infer<typeof Stored>;

export const PutPresenceRequest = z.strictObject({
  /** The version the positions refer to. */
  version: Version,
  cursor: Version,
  selection: z
    .strictObject({ start: Version, end: Version })
    .refine((range) => range.end >= range.start, { message: 'end must not be before start', path: ['end'] })
    .nullable()
    .default(null),
});

const OpRow = z.object({ version: z.number().or(z.bigint()).or(z.string()).transform(Number), op: z.string() });

/** The operations after `version` (≥ the kept history), to move positions to the current version. */
async function opsSince(db: SqlClient, chapterId: string, version: number): Promise<Operation[]> {
  const rows = await queryRows(db, OpRow, 'SELECT version, op FROM operations WHERE chapter_id = $1::text::uuid AND version > $2::int8 ORDER BY version', [chapterId, version]);
  return rows.map((row) => JSON.parse(row.op) as Operation);
}

function moved(entry: Stored, ops: Operation[], head: number): Stored {
  let { cursor, selection } = entry;
  for (const op of ops) {
    cursor = transformPosition(cursor, op);
    if (selection) {
      const start = transformPosition(selection.start, op, 'after');
      selection = { start, end: Math.max(start, transformPosition(selection.end, op)) };
    }
  }
  return { ...entry, version: head, cursor, selection };
}

async function readPresence(redis: RedisClient, chapterId: string): Promise<Stored[]> {
  // HKEYS then HMGET rather than HGETALL, whose reply shape differs between Redis clients.
  const fields = (await redis.execute('HKEYS', [presenceKey(chapterId)])).map(redisText).filter((field): field is string => field !== null);
  if (fields.length === 0) return [];
  const values = await redis.execute('HMGET', [presenceKey(chapterId), ...fields.slice(0, MAX_PRESENT * 2)]);
  const entries: Stored[] = [];
  for (const value of values) {
    const parsed = Stored.safeParse(safeJson(redisText(value)));
    if (parsed.success) entries.push(parsed.data);
  }
  return entries;
}

function safeJson(text: string | null): unknown {
  try {
    return text === null ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/**
 * Everyone present on the document, their positions moved to the document's current version;
 * expired entries are dropped (and removed). Entries older than the kept history are dropped too.
 */
export async function presentUsers(db: SqlClient, redis: RedisClient, chapterId: string, head: number, now: number): Promise<Stored[]> {
  const entries = await readPresence(redis, chapterId);
  const expired = entries.filter((entry) => entry.expiresAt <= now).map((entry) => entry.userId);
  if (expired.length > 0) await redis.execute('HDEL', [presenceKey(chapterId), ...expired]);
  const live = entries.filter((entry) => entry.expiresAt > now);
  if (live.length === 0) return [];
  const oldest = await oldestVersion(db, chapterId);
  // ops[k] made version base + k + 1; an entry at version v moves through ops[v - base ...].
  const base = Math.max(Math.min(...live.map((entry) => entry.version)), oldest);
  const ops = await opsSince(db, chapterId, base);
  const current = Math.max(head, base + ops.length);
  return live
    .filter((entry) => entry.version >= base)
    .map((entry) => moved(entry, ops.slice(entry.version - base), current))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

export function presenceView(entry: Stored) {
  return { userId: entry.userId, cursor: entry.cursor, selection: entry.selection, expiresAt: new Date(entry.expiresAt).toISOString() };
}

/** `PUT /documents/{chapterId}/presence`: my cursor and selection, shown for PRESENCE_TTL_SECONDS. */
export const putPresence = defineRoute({
  params: DocumentParams,
  body: PutPresenceRequest,
  auth: 'required',
  throttle: editorThrottle,
  responses: { 200: PresenceAnswer },
  errors: {
    400: '`invalid_version`: past the head; `position_out_of_range`: outside the text',
    ...accessErrors(),
    409: '`reload_required`: the version is older than the kept history',
    413: '`document_too_large`: the chapter is larger than a live document holds; `too_many_present`: the document shows the most people it may',
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  const db = context.db();
  const { version } = context.body;
  if (version > document.version) {
    throw badRequest('invalid_version', `Version ${version} does not exist yet; the document is at version ${document.version}`, [{ path: 'body.version', message: `At most ${document.version}` }]);
  }
  const oldest = await oldestVersion(db, document.chapterId);
  if (version < oldest) throw reloadRequired(version, oldest, 'body.version');
  const ops = await opsSince(db, document.chapterId, version);
  const head = version + ops.length;
  const expiresAt = context.now() + PRESENCE_TTL_SECONDS * 1000;
  const entry = moved({ userId: context.principal.userId, version, cursor: context.body.cursor, selection: context.body.selection, expiresAt }, ops, head);
  const length = ops.length === 0 ? document.length : null;
  if (length !== null && (entry.cursor > length || (entry.selection && entry.selection.end > length))) {
    throw badRequest('position_out_of_range', `Positions must be within the document (${length} characters)`, [{ path: 'body.cursor', message: 'Outside the document' }]);
  }
  const redis = context.redis();
  const key = presenceKey(document.chapterId);
  const [exists] = await redis.execute('HEXISTS', [key, context.principal.userId]);
  if (Number(redisText(exists)) !== 1) {
    const [count] = await redis.execute('HLEN', [key]);
    if (Number(redisText(count)) >= MAX_PRESENT) {
      const live = await presentUsers(db, redis, document.chapterId, head, context.now());
      if (live.length >= MAX_PRESENT) throw new HttpError(413, 'too_many_present', `At most ${MAX_PRESENT} people are shown on one document`);
    }
  }
  await redis.execute('HSET', [key, context.principal.userId, utf8(JSON.stringify(entry))]);
  await redis.execute('EXPIRE', [key, PRESENCE_TTL_SECONDS * 2]);
  return json({ version: head, ...presenceView(entry) });
});

/** `GET /documents/{chapterId}/presence`: who is here, at the document's current version. */
export const listPresence = defineRoute({
  params: DocumentParams,
  auth: 'required',
  responses: { 200: PresenceList },
  errors: { ...accessErrors(), 413: DOCUMENT_TOO_LARGE },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  const items = await presentUsers(context.db(), context.redis(), document.chapterId, document.version, context.now());
  return json({ version: document.version, items: items.map(presenceView) });
});

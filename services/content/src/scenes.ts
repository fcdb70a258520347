import {
  ChapterParams,
  ContentEventType,
  countWords,
  CreateSceneRequest,
  MoveSceneRequest,
  PageQuery,
  Scene,
  SceneParams,
  UpdateSceneRequest,
  Channel,
  SceneList,
} from '@authorworks/domain';
import {
  CursorInteger,
  created,
  decodeCursor,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlInt,
  type SqlClient,
  defineRoute,
  changeWithEvents,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireBookAccess, rowOfBook, selectReadable, type BookAccess } from './access.ts';
import { requireCharactersOfBook } from './characters.ts';
import { contentEvent } from './outbox.ts';

import { SCENES_IN_CHAPTER, closeGap, moveTo, openSlot } from './positions.ts';

// Scenes are the outline inside a chapter (POV, place, story time, notes or draft text). Their
// words are counted per scene but not in the book's word count, which is the chapters' text.


const SCENE_COLUMNS = `id::text AS id, chapter_id::text AS "chapterId", book_id::text AS "bookId", title, summary, position,
  pov_character_id::text AS "povCharacterId", location, story_time AS time, content, word_count AS "wordCount",
  ${isoTimestamp('created_at')} AS "createdAt", ${isoTimestamp('updated_at')} AS "updatedAt"`;

const SceneRow = Scene.extend({ position: sqlInt, wordCount: sqlInt });

const SELECT_SCENE = `SELECT ${SCENE_COLUMNS} FROM scenes WHERE id = $1::text::uuid`;
const READABLE_SCENE = rowOfBook(SELECT_SCENE);

async function selectScene(db: SqlClient, id: string): Promise<Scene> {
  const scene = await queryOne(db, SceneRow, SELECT_SCENE, [id]);
  if (!scene) throw notFound('No scene with that id');
  return scene;
}

function sceneEvent(type: Parameters<typeof contentEvent>[0], access: BookAccess, id: string, actorId: string, changed?: string[]) {
  return contentEvent(type, { entity: 'scene', id, bookId: access.bookId, authorId: access.authorId, actorId, ...(changed ? { changed } : {}) });
}

export const createScene = defineRoute({
  params: ChapterParams,
  body: CreateSceneRequest,
  auth: 'required',
  responses: { 201: Scene },
  errors: {
    ...accessErrors('chapter', 'write'),
    422: '`unknown_character`: `povCharacterId` is not a character of this book',
  },
}, async (context) => {
  const body = context.body;
  const scene = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { chapter: context.params.id }, context.principal, 'write', { lock: true, what: 'chapter' });
    if (body.povCharacterId) await requireCharactersOfBook(tx, access.bookId, [body.povCharacterId], 'povCharacterId');
    const position = await openSlot(tx, SCENES_IN_CHAPTER, context.params.id, body.position);
    const { rows } = await tx.query(
      `INSERT INTO scenes (chapter_id, book_id, title, summary, position, pov_character_id, location, story_time, content, word_count)
       VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text, $5::int8, $6::text::uuid, $7::text, $8::text, $9::text, $10::int8)
       RETURNING id::text AS id`,
      [context.params.id, access.bookId, body.title, body.summary, position, body.povCharacterId, body.location, body.time, body.content, countWords(body.content)],
    );
    const id = String(rows[0]!.id);
    await emit(sceneEvent(ContentEventType.created, access, id, context.principal.userId));
    return selectScene(tx, id);
  });
  return created(scene, `/v1/content/scenes/${scene.id}`);
});

const PositionCursor = z.object({ p: CursorInteger });

export const listScenes = defineRoute({
  params: ChapterParams,
  query: PageQuery,
  auth: 'optional',
  responses: { 200: SceneList },
  errors: { 400: '`invalid_cursor`', ...accessErrors('chapter') },
}, async (context) => {
  const db = context.db();
  await requireBookAccess(db, { chapter: context.params.id }, context.principal, 'read', { what: 'chapter' });
  const after = decodeCursor(PositionCursor, context.query.cursor);
  const rows = await queryRows(
    db,
    SceneRow,
    `SELECT ${SCENE_COLUMNS} FROM scenes WHERE chapter_id = $1::text::uuid AND position > $2::int8 ORDER BY position LIMIT $3::int8`,
    [context.params.id, after?.p ?? 0, context.query.limit + 1],
  );
  return json(pageOf(rows, context.query.limit, (last) => ({ p: last.position })));
});

export const getScene = defineRoute({
  params: SceneParams,
  auth: 'optional',
  responses: { 200: Scene },
  errors: accessErrors('scene'),
}, async (context) => {
  const { row } = await selectReadable(context.db(), SceneRow, READABLE_SCENE, context.params.id, context.principal, 'scene');
  return json(row);
});

export const updateScene = defineRoute({
  params: SceneParams,
  body: UpdateSceneRequest,
  auth: 'required',
  responses: { 200: Scene },
  errors: {
    ...accessErrors('scene', 'write'),
    422: '`unknown_character`: `povCharacterId` is not a character of this book',
  },
}, async (context) => {
  const body = context.body;
  const scene = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { scene: context.params.id }, context.principal, 'write', { lock: true, what: 'scene' });
    if (body.povCharacterId) await requireCharactersOfBook(tx, access.bookId, [body.povCharacterId], 'povCharacterId');
    await tx.query(
      `UPDATE scenes SET title = COALESCE($2::text, title), summary = COALESCE($3::text, summary),
              pov_character_id = CASE WHEN $4::bool THEN $5::text::uuid ELSE pov_character_id END,
              location = COALESCE($6::text, location), story_time = COALESCE($7::text, story_time),
              content = COALESCE($8::text, content), word_count = COALESCE($9::int8::int, word_count), updated_at = now()
        WHERE id = $1::text::uuid`,
      [
        context.params.id,
        body.title ?? null,
        body.summary ?? null,
        body.povCharacterId !== undefined,
        body.povCharacterId ?? null,
        body.location ?? null,
        body.time ?? null,
        body.content ?? null,
        body.content === undefined ? null : countWords(body.content),
      ],
    );
    await emit(sceneEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, Object.keys(body)));
    return selectScene(tx, context.params.id);
  });
  return json(scene);
});

export const deleteScene = defineRoute({
  params: SceneParams,
  auth: 'required',
  responses: { 204: null },
  errors: accessErrors('scene', 'write'),
}, async (context) => {
  await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { scene: context.params.id }, context.principal, 'write', { lock: true, what: 'scene' });
    const { rows } = await tx.query('DELETE FROM scenes WHERE id = $1::text::uuid RETURNING chapter_id::text AS chapter, position', [context.params.id]);
    await closeGap(tx, SCENES_IN_CHAPTER, String(rows[0]!.chapter), Number(rows[0]!.position));
    await emit(sceneEvent(ContentEventType.deleted, access, context.params.id, context.principal.userId));
  });
  return noContent();
});

export const moveScene = defineRoute({
  params: SceneParams,
  body: MoveSceneRequest,
  auth: 'required',
  responses: { 200: Scene },
  errors: accessErrors('scene', 'write'),
}, async (context) => {
  const scene = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { scene: context.params.id }, context.principal, 'write', { lock: true, what: 'scene' });
    await moveTo(tx, SCENES_IN_CHAPTER, context.params.id, context.body.position);
    await emit(sceneEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, ['position']));
    return selectScene(tx, context.params.id);
  });
  return json(scene);
});

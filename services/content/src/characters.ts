import {
  BookParams,
  Character,
  CharacterParams,
  CharacterRelationship,
  ContentEventType,
  CreateCharacterRequest,
  PageQuery,
  UpdateCharacterRequest,
  Channel,
  CharacterList,
} from '@authorworks/domain';
import {
  CursorTimestamp,
  created,
  decodeCursor,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlJson,
  unprocessable,
  type SqlClient,
  defineRoute,
  changeWithEvents,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireBookAccess, rowOfBook, selectReadable, type BookAccess } from './access.ts';
import { contentEvent } from './outbox.ts';


const CHARACTER_COLUMNS = `id::text AS id, book_id::text AS "bookId", name, role, description,
  traits::text AS traits, relationships::text AS relationships,
  ${isoTimestamp('created_at')} AS "createdAt", ${isoTimestamp('updated_at')} AS "updatedAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;

const CharacterRow = Character.extend({
  traits: sqlJson(z.array(z.string())),
  relationships: sqlJson(z.array(CharacterRelationship)),
  sortKey: z.string(),
});

function withoutSortKey({ sortKey: _sortKey, ...character }: z.output<typeof CharacterRow>): Character {
  return character;
}

const SELECT_CHARACTER = `SELECT ${CHARACTER_COLUMNS} FROM characters WHERE id = $1::text::uuid`;
const READABLE_CHARACTER = rowOfBook(SELECT_CHARACTER);

async function selectCharacter(db: SqlClient, id: string): Promise<Character> {
  const row = await queryOne(db, CharacterRow, SELECT_CHARACTER, [id]);
  if (!row) throw notFound('No character with that id');
  return withoutSortKey(row);
}

/** Characters a POV or a relationship refers to must belong to the same book (422 otherwise). */
export async function requireCharactersOfBook(db: SqlClient, bookId: string, ids: readonly string[], field: string): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM characters WHERE book_id = $1::text::uuid AND id = ANY (string_to_array($2::text, ',')::uuid[])`,
    [bookId, unique.join(',')],
  );
  if (Number(rows[0]?.n ?? 0) !== unique.length) {
    throw unprocessable('unknown_character', `${field} must name characters of this book`);
  }
}

function characterEvent(type: Parameters<typeof contentEvent>[0], access: BookAccess, id: string, actorId: string, changed?: string[]) {
  return contentEvent(type, { entity: 'character', id, bookId: access.bookId, authorId: access.authorId, actorId, ...(changed ? { changed } : {}) });
}

export const createCharacter = defineRoute({
  params: BookParams,
  body: CreateCharacterRequest,
  auth: 'required',
  responses: { 201: Character },
  errors: {
    ...accessErrors('book', 'write'),
    422: '`unknown_character`: a referenced character is not of this book (or is the character itself)',
  },
}, async (context) => {
  const body = context.body;
  const character = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'write', { lock: true });
    await requireCharactersOfBook(tx, access.bookId, body.relationships.map((r) => r.characterId), 'relationships.characterId');
    const { rows } = await tx.query(
      `INSERT INTO characters (book_id, name, role, description, traits, relationships)
       VALUES ($1::text::uuid, $2::text, $3::text, $4::text, $5::text::jsonb, $6::text::jsonb) RETURNING id::text AS id`,
      [access.bookId, body.name, body.role, body.description, JSON.stringify(body.traits), JSON.stringify(body.relationships)],
    );
    const id = String(rows[0]!.id);
    await emit(characterEvent(ContentEventType.created, access, id, context.principal.userId));
    return selectCharacter(tx, id);
  });
  return created(character, `/v1/content/characters/${character.id}`);
});

const CharacterCursor = z.object({ t: CursorTimestamp, i: z.uuid() });

export const listCharacters = defineRoute({
  params: BookParams,
  query: PageQuery,
  auth: 'optional',
  responses: { 200: CharacterList },
  errors: { 400: '`invalid_cursor`', ...accessErrors('book') },
}, async (context) => {
  const db = context.db();
  const access = await requireBookAccess(db, { book: context.params.id }, context.principal, 'read');
  const after = decodeCursor(CharacterCursor, context.query.cursor);
  const rows = await queryRows(
    db,
    CharacterRow,
    `SELECT ${CHARACTER_COLUMNS} FROM characters
      WHERE book_id = $1::text::uuid
        AND ($2::text IS NULL OR (created_at, id) > (($2::text || 'Z')::timestamptz, $3::text::uuid))
      ORDER BY created_at, id LIMIT $4::int8`,
    [access.bookId, after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(withoutSortKey), nextCursor: page.nextCursor });
});

export const getCharacter = defineRoute({
  params: CharacterParams,
  auth: 'optional',
  responses: { 200: Character },
  errors: accessErrors('character'),
}, async (context) => {
  const { row } = await selectReadable(context.db(), CharacterRow, READABLE_CHARACTER, context.params.id, context.principal, 'character');
  return json(withoutSortKey(row));
});

export const updateCharacter = defineRoute({
  params: CharacterParams,
  body: UpdateCharacterRequest,
  auth: 'required',
  responses: { 200: Character },
  errors: {
    ...accessErrors('character', 'write'),
    422: '`unknown_character`: a referenced character is not of this book (or is the character itself)',
  },
}, async (context) => {
  const body = context.body;
  const character = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { character: context.params.id }, context.principal, 'write', { lock: true, what: 'character' });
    if (body.relationships) {
      if (body.relationships.some((r) => r.characterId === context.params.id)) {
        throw unprocessable('unknown_character', 'A character cannot have a relationship with itself');
      }
      await requireCharactersOfBook(tx, access.bookId, body.relationships.map((r) => r.characterId), 'relationships.characterId');
    }
    await tx.query(
      `UPDATE characters SET name = COALESCE($2::text, name), role = COALESCE($3::text, role),
              description = COALESCE($4::text, description), traits = COALESCE($5::text::jsonb, traits),
              relationships = COALESCE($6::text::jsonb, relationships), updated_at = now()
        WHERE id = $1::text::uuid`,
      [
        context.params.id,
        body.name ?? null,
        body.role ?? null,
        body.description ?? null,
        body.traits ? JSON.stringify(body.traits) : null,
        body.relationships ? JSON.stringify(body.relationships) : null,
      ],
    );
    await emit(characterEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, Object.keys(body)));
    return selectCharacter(tx, context.params.id);
  });
  return json(character);
});

/** Deleting a character clears it as a scene's POV (FK) and drops relationships pointing at it. */
export const deleteCharacter = defineRoute({
  params: CharacterParams,
  auth: 'required',
  responses: { 204: null },
  errors: accessErrors('character', 'write'),
}, async (context) => {
  await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { character: context.params.id }, context.principal, 'write', { lock: true, what: 'character' });
    await tx.query('DELETE FROM characters WHERE id = $1::text::uuid', [context.params.id]);
    await tx.query(
      `UPDATE characters
          SET relationships = (SELECT COALESCE(jsonb_agg(r), '[]'::jsonb) FROM jsonb_array_elements(relationships) r
                                WHERE r->>'characterId' <> $2::text),
              updated_at = now()
        WHERE book_id = $1::text::uuid AND relationships @> jsonb_build_array(jsonb_build_object('characterId', $2::text))`,
      [access.bookId, context.params.id],
    );
    await emit(characterEvent(ContentEventType.deleted, access, context.params.id, context.principal.userId));
  });
  return noContent();
});

import { Collection, CollectionParams, CreateCollectionRequest, Id, PageQuery, UpdateCollectionRequest, CollectionList } from '@authorworks/domain';
import {
  CursorTimestamp,
  created,
  decodeCursor,
  forbidden,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlJson,
  transaction,
  unprocessable,
  type Principal,
  type SqlClient,
  defineRoute,
} from '@authorworks/kit';
import { z } from 'zod';
import { readableBookCondition } from './access.ts';

// Collections: a user's ordered lists of books. The owner manages them; a public or unlisted
// collection can be read by anyone. Only books the owner may read can be added, and a reader sees
// only the books they may read themselves, so a collection never reveals a private book.


const CollectionRow = Collection.extend({
  bookIds: sqlJson(z.array(Id)),
  sortKey: z.string(),
});

/** Columns of a collection `c` whose `bookIds` are those readable by `$2` (admin `$3`). */
const COLLECTION_COLUMNS = `c.id::text AS id, c.owner_id::text AS "ownerId", c.name, c.description, c.visibility,
  (SELECT COALESCE(json_agg(cb.book_id::text ORDER BY cb.position), '[]')::text
     FROM collection_books cb JOIN books b ON b.id = cb.book_id
    WHERE cb.collection_id = c.id AND ${readableBookCondition(2, 3)}) AS "bookIds",
  ${isoTimestamp('c.created_at')} AS "createdAt", ${isoTimestamp('c.updated_at')} AS "updatedAt",
  to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;

const strip = ({ sortKey: _sortKey, ...collection }: z.output<typeof CollectionRow>): Collection => collection;
const viewer = (principal: Principal | null) => [principal?.userId ?? null, principal?.roles.includes('admin') ?? false] as const;

async function selectCollection(db: SqlClient, id: string, principal: Principal | null): Promise<Collection | null> {
  const row = await queryOne(db, CollectionRow, `SELECT ${COLLECTION_COLUMNS} FROM collections c WHERE c.id = $1::text::uuid`, [id, ...viewer(principal)]);
  return row && strip(row);
}

/** Replaces the collection's books, in order; each must be a book the owner may read (422 otherwise). */
async function setBooks(tx: SqlClient, collectionId: string, bookIds: readonly string[], owner: Principal): Promise<void> {
  const unique = [...new Set(bookIds)];
  if (unique.length !== bookIds.length) throw unprocessable('duplicate_book', 'A book can be in a collection only once');
  if (unique.length > 0) {
    const { rows } = await tx.query(
      `SELECT count(*)::int AS n FROM books b
        WHERE b.id IN (SELECT json_array_elements_text($1::text::json)::uuid) AND ${readableBookCondition(2, 3)}`,
      [JSON.stringify(unique), ...viewer(owner)],
    );
    if (Number(rows[0]?.n ?? 0) !== unique.length) throw unprocessable('unknown_book', 'bookIds must name books you can read');
  }
  await tx.query('DELETE FROM collection_books WHERE collection_id = $1::text::uuid', [collectionId]);
  if (unique.length > 0) {
    await tx.query(
      `INSERT INTO collection_books (collection_id, book_id, position)
       SELECT $1::text::uuid, value::uuid, ordinality FROM json_array_elements_text($2::text::json) WITH ORDINALITY`,
      [collectionId, JSON.stringify(unique)],
    );
  }
}

export const createCollection = defineRoute({
  body: CreateCollectionRequest,
  auth: 'required',
  responses: { 201: Collection },
  errors: { 422: '`duplicate_book`: a book listed twice; `unknown_book`: a book the caller cannot read' },
}, async (context) => {
  const body = context.body;
  const collection = await transaction(context.db(), async (tx) => {
    const { rows } = await tx.query(
      `INSERT INTO collections (owner_id, name, description, visibility) VALUES ($1::text::uuid, $2::text, $3::text, $4::text)
       RETURNING id::text AS id`,
      [context.principal.userId, body.name, body.description, body.visibility],
    );
    const id = String(rows[0]!.id);
    await setBooks(tx, id, body.bookIds, context.principal);
    return (await selectCollection(tx, id, context.principal))!;
  });
  return created(collection, `/v1/content/collections/${collection.id}`);
});

const Cursor = z.object({ t: CursorTimestamp, i: Id });

/** My collections, newest first. */
export const listCollections = defineRoute({
  query: PageQuery,
  auth: 'required',
  responses: { 200: CollectionList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    CollectionRow,
    `SELECT ${COLLECTION_COLUMNS} FROM collections c
      WHERE c.owner_id = $1::text::uuid
        AND ($4::text IS NULL OR (c.created_at, c.id) < (($4::text || 'Z')::timestamptz, $5::text::uuid))
      ORDER BY c.created_at DESC, c.id DESC LIMIT $6::int8`,
    [context.principal.userId, ...viewer(context.principal), after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(strip), nextCursor: page.nextCursor });
});

/** A private collection is its owner's alone (404 for everyone else, admins included). */
export const getCollection = defineRoute({
  params: CollectionParams,
  auth: 'optional',
  responses: { 200: Collection },
  errors: { 404: 'No collection with that id, or a private one of someone else' },
}, async (context) => {
  const collection = await selectCollection(context.db(), context.params.id, context.principal);
  if (!collection || (collection.visibility === 'private' && collection.ownerId !== context.principal?.userId)) {
    throw notFound('No collection with that id');
  }
  return json(collection);
});

/** The owner's own collection, locked for the change; anyone else gets 404 or 403. */
async function ownCollection(tx: SqlClient, id: string, principal: Principal): Promise<void> {
  const { rows } = await tx.query('SELECT owner_id::text AS owner, visibility FROM collections WHERE id = $1::text::uuid FOR UPDATE', [id]);
  const row = rows[0];
  if (!row || (row.owner !== principal.userId && row.visibility === 'private')) throw notFound('No collection with that id');
  if (row.owner !== principal.userId) throw forbidden('Only the owner may change a collection');
}

export const updateCollection = defineRoute({
  params: CollectionParams,
  body: UpdateCollectionRequest,
  auth: 'required',
  responses: { 200: Collection },
  errors: {
    403: 'Only the owner may change a collection',
    404: 'No collection with that id, or a private one of someone else',
    422: '`duplicate_book`: a book listed twice; `unknown_book`: a book the caller cannot read',
  },
}, async (context) => {
  const body = context.body;
  const collection = await transaction(context.db(), async (tx) => {
    await ownCollection(tx, context.params.id, context.principal);
    await tx.query(
      `UPDATE collections SET name = COALESCE($2::text, name), description = COALESCE($3::text, description),
              visibility = COALESCE($4::text, visibility), updated_at = now()
        WHERE id = $1::text::uuid`,
      [context.params.id, body.name ?? null, body.description ?? null, body.visibility ?? null],
    );
    if (body.bookIds) await setBooks(tx, context.params.id, body.bookIds, context.principal);
    return (await selectCollection(tx, context.params.id, context.principal))!;
  });
  return json(collection);
});

export const deleteCollection = defineRoute({
  params: CollectionParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 403: 'Only the owner may change a collection', 404: 'No collection with that id, or a private one of someone else' },
}, async (context) => {
  await transaction(context.db(), async (tx) => {
    await ownCollection(tx, context.params.id, context.principal);
    await tx.query('DELETE FROM collections WHERE id = $1::text::uuid', [context.params.id]);
  });
  return noContent();
});

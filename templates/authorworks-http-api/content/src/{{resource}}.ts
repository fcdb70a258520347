{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign singular = resource-singular | default: singular -%}
{%- assign S = singular | pascal_case -%}
{%- assign P = resource | pascal_case -%}
{%- assign table = resource | snake_case -%}
import { Id, Page, PageQuery, Timestamp } from '@authorworks/domain';
import {
  changeWithEvents,
  created,
  decodeCursor,
  defineRoute,
  isoTimestamp,
  json,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  randomUuid,
} from '@authorworks/kit';
import { z } from 'zod';

/** What a client sends to create a {{ singular }}. */
export const New{{S}} = z.object({
  title: z.string().trim().min(1).max(200),
  body: z.string().max(20_000).default(''),
});

/** A {{ singular }} as the API returns it. */
export const {{S}} = z.object({
  id: Id,
  ownerId: z.string(),
  title: z.string(),
  body: z.string(),
  createdAt: Timestamp,
});
export type {{S}} = z.infer<typeof {{S}}>;

export const {{S}}Params = z.object({ id: Id });
export const {{S}}List = Page({{S}});

const COLUMNS = `id::text AS id, owner_id AS "ownerId", title, body, ${isoTimestamp('created_at')} AS "createdAt"`;

/** Where a page ends: the last item's creation time and id (opaque to clients). */
const Cursor = z.object({ createdAt: Timestamp, id: Id });

/**
 * POST /{{resource}}: creates a {{ singular }} owned by the caller. Its {{ singular | snake_case }}.created event is recorded in
 * the same transaction (the kit's outbox) and published on {{project-name | kebab_case}}-events once the handler returns,
 * so the change and its event never disagree.
 */
export const create{{S}} = defineRoute({ auth: 'required', body: New{{S}}, responses: { 201: {{S}} } }, async (context) => {
  const { body, principal } = context;
  const item = await changeWithEvents(context, '{{project-name | kebab_case}}-events', async (tx, emit) => {
    const row = await queryOne(
      tx,
      {{S}},
      `INSERT INTO {{table}} (id, owner_id, title, body) VALUES ($1::text::uuid, $2::text, $3::text, $4::text) RETURNING ${COLUMNS}`,
      [randomUuid(), principal.userId, body.title, body.body],
    );
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    await emit({ type: '{{ singular | snake_case }}.created', subject: row.id, data: { id: row.id, ownerId: row.ownerId } });
    return row;
  });
  return created(item, `${context.url.pathname}/${item.id}`);
});

/** GET /{{resource}}/:id: the caller's own {{ singular }}; someone else's is a 404, so its existence does not leak. */
export const get{{S}} = defineRoute({ auth: 'required', params: {{S}}Params, responses: { 200: {{S}} }, errors: { 404: 'No {{ singular }} of the caller with that id' } }, async ({ params, principal, db }) => {
  const item = await queryOne(db(), {{S}}, `SELECT ${COLUMNS} FROM {{table}} WHERE id = $1::text::uuid AND owner_id = $2::text`, [
    params.id,
    principal.userId,
  ]);
  if (!item) throw notFound('No such {{ singular }}');
  return json(item);
});

/** GET /{{resource}}?limit&cursor: the caller's {{resource}}, newest first, a page at a time. */
export const list{{P}} = defineRoute({ auth: 'required', query: PageQuery, responses: { 200: {{S}}List }, errors: { 400: '`invalid_cursor`' } }, async ({ query, principal, db }) => {
  const after = decodeCursor(Cursor, query.cursor);
  const rows = await queryRows(
    db(),
    {{S}},
    `SELECT ${COLUMNS} FROM {{table}}
      WHERE owner_id = $1::text
        AND ($2::text IS NULL OR (created_at, id) < ($2::text::timestamptz, $3::text::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $4::int8`,
    [principal.userId, after?.createdAt ?? null, after?.id ?? null, query.limit + 1],
  );
  const page: Page<{{S}}> = pageOf(rows, query.limit, (last) => ({ createdAt: last.createdAt, id: last.id }));
  return json(page);
});

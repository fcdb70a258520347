{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign S = singular | pascal_case -%}
{%- assign P = resource | pascal_case -%}
{%- assign table = resource | snake_case -%}
import { Id, PageQuery, Timestamp, type Page } from '@authorworks/domain';
import {
  badRequest,
  base64UrlDecode,
  base64UrlEncode,
  created,
  defineRoute,
  fromUtf8,
  isoTimestamp,
  json,
  notFound,
  queryOne,
  queryRows,
  randomUuid,
  utf8,
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

const COLUMNS = `id::text AS id, owner_id AS "ownerId", title, body, ${isoTimestamp('created_at')} AS "createdAt"`;

/** The list cursor: the last item's creation time and id, opaque to clients. */
const Cursor = z.tuple([Timestamp, Id]);

const encodeCursor = (item: {{S}}) => base64UrlEncode(utf8(JSON.stringify([item.createdAt, item.id])));

function decodeCursor(cursor: string): z.infer<typeof Cursor> {
  const bytes = base64UrlDecode(cursor);
  let value: unknown;
  try {
    value = JSON.parse((bytes && fromUtf8(bytes)) ?? '');
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success) {
    throw badRequest('validation_failed', 'The request query is not valid', [{ path: 'query.cursor', message: 'Not a cursor from this API' }]);
  }
  return parsed.data;
}

/** POST /{{resource}}: creates a {{ singular }} owned by the caller and announces it on {{project-name | kebab_case}}-events. */
export const create{{S}} = defineRoute({ auth: 'required', body: New{{S}} }, async ({ body, principal, db, events, url }) => {
  const item = await queryOne(
    db(),
    {{S}},
    `INSERT INTO {{table}} (id, owner_id, title, body) VALUES ($1::text::uuid, $2::text, $3::text, $4::text) RETURNING ${COLUMNS}`,
    [randomUuid(), principal.userId, body.title, body.body],
  );
  if (!item) throw new Error('INSERT … RETURNING gave no row');
  await events.publish('{{project-name | kebab_case}}-events', '{{ singular | snake_case }}.created', item.id, { id: item.id, ownerId: item.ownerId });
  return created(item, `${url.pathname}/${item.id}`);
});

/** GET /{{resource}}/:id: the caller's own {{ singular }}; someone else's is a 404, so its existence does not leak. */
export const get{{S}} = defineRoute({ auth: 'required', params: {{S}}Params }, async ({ params, principal, db }) => {
  const item = await queryOne(db(), {{S}}, `SELECT ${COLUMNS} FROM {{table}} WHERE id = $1::text::uuid AND owner_id = $2::text`, [
    params.id,
    principal.userId,
  ]);
  if (!item) throw notFound('No such {{ singular }}');
  return json(item);
});

/** GET /{{resource}}?limit&cursor: the caller's {{resource}}, newest first, a page at a time. */
export const list{{P}} = defineRoute({ auth: 'required', query: PageQuery }, async ({ query, principal, db }) => {
  const [afterTime, afterId] = query.cursor ? decodeCursor(query.cursor) : [null, null];
  const items = await queryRows(
    db(),
    {{S}},
    `SELECT ${COLUMNS} FROM {{table}}
      WHERE owner_id = $1::text
        AND ($2::text IS NULL OR (created_at, id) < ($2::text::timestamptz, $3::text::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $4::int8`,
    [principal.userId, afterTime, afterId, query.limit + 1],
  );
  const page = items.slice(0, query.limit);
  const last = page.at(-1);
  const answer: Page<{{S}}> = { items: page, nextCursor: items.length > query.limit && last ? encodeCursor(last) : null };
  return json(answer);
});

import { CreateGrantRequest, FileParams, Grant, GrantParams, GrantList } from '@authorworks/domain';
import { conflict, created, defineRoute, isoTimestamp, json, noContent, notFound, queryOne, queryRows, transaction, unprocessable } from '@authorworks/kit';
import { fileFor } from './records.ts';

// Grants: the owner lets another user read, or read and write (new versions, rename), a file,
// until an optional expiry. An expired grant is as good as none (records.ts checks the time).

const MAX_GRANTS_PER_FILE = 100;

const GRANT_COLUMNS = `id::text AS id, file_id::text AS "fileId", grantee_id::text AS "granteeId", permission,
  CASE WHEN expires_at IS NULL THEN NULL ELSE ${isoTimestamp('expires_at')} END AS "expiresAt", ${isoTimestamp('created_at')} AS "createdAt"`;

/** `POST /files/{id}/grants`: grants (or replaces the grant of) one user. */
export const createGrant = defineRoute({
  params: FileParams,
  body: CreateGrantRequest,
  auth: 'required',
  responses: { 201: Grant },
  errors: {
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read',
    409: '`too_many_grants`',
    422: '`grantee_is_owner`: the owner already has every permission',
  },
}, async (context) => {
  const { granteeId, permission, expiresInSeconds } = context.body;
  const grant = await transaction(context.db(), async (tx) => {
    const file = await fileFor(tx, context.params.id, context.principal, 'owner', true);
    if (granteeId === file.ownerId) throw unprocessable('grantee_is_owner', 'The owner already has every permission');
    const { rows } = await tx.query('SELECT count(*)::int8 AS n FROM grants WHERE file_id = $1::text::uuid', [file.id]);
    if (Number(rows[0]!.n) >= MAX_GRANTS_PER_FILE) throw conflict('too_many_grants', `A file may have at most ${MAX_GRANTS_PER_FILE} grants`);
    return queryOne(
      tx,
      Grant,
      `INSERT INTO grants (file_id, grantee_id, permission, expires_at)
       VALUES ($1::text::uuid, $2::text::uuid, $3::text, CASE WHEN $4::int8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::int8) END)
       ON CONFLICT (file_id, grantee_id) DO UPDATE SET permission = EXCLUDED.permission, expires_at = EXCLUDED.expires_at, created_at = now()
       RETURNING ${GRANT_COLUMNS}`,
      [file.id, granteeId, permission, expiresInSeconds ?? null],
    );
  });
  return created(grant, `/v1/storage/files/${context.params.id}/grants/${grant!.id}`);
});

/** The file's grants, expired ones included (the owner only). */
export const listGrants = defineRoute({
  params: FileParams,
  auth: 'required',
  responses: { 200: GrantList },
  errors: { 403: 'The caller may read the file but is not its owner', 404: 'No file with that id the caller may read' },
}, async (context) => {
  const file = await fileFor(context.db(), context.params.id, context.principal, 'owner');
  const items = await queryRows(context.db(), Grant, `SELECT ${GRANT_COLUMNS} FROM grants WHERE file_id = $1::text::uuid ORDER BY created_at, id`, [file.id]);
  return json({ items });
});

/** `DELETE /files/{id}/grants/{grantId}`: the owner revokes a grant; it stops working at once. */
export const revokeGrant = defineRoute({
  params: GrantParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 403: 'The caller may read the file but is not its owner', 404: 'No file with that id the caller may read, or no such grant on it' },
}, async (context) => {
  const file = await fileFor(context.db(), context.params.id, context.principal, 'owner');
  const { rows } = await context.db().query('DELETE FROM grants WHERE id = $1::text::uuid AND file_id = $2::text::uuid RETURNING id::text AS id', [context.params.grantId, file.id]);
  if (rows.length === 0) throw notFound('No such grant on this file');
  return noContent();
});

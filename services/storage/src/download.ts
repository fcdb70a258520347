import { FileParams, FileVersionParams } from '@authorworks/domain';
import { conflict, defineRoute, forwardable, HttpError, notFound, objectStoreFromConfig, queryOne, sqlBool, sqlInt, type Principal, type RequestContext } from '@authorworks/kit';
import { z } from 'zod';
import { contentDisposition } from './filenames.ts';
import { isActiveContent, servedType } from './content-type.ts';
import { parseRange } from './ranges.ts';
import { CAN_READ, FILE_GRANT_JOIN } from './records.ts';
import { storageSettings } from './settings.ts';

// Downloads stream from object storage to the client without being held (the engine pipes the
// body). Ranges (206/416) serve audio and video players; the ETag is the version's checksum (its
// SHA-256, or the composite of its parts' for a multipart upload), so
// If-None-Match answers 304 without touching storage. Whatever the bytes are, the browser is told
// not to sniff them and not to run anything: active types (HTML, SVG, XML, JS) only ever download
// as attachments, and every answer carries a CSP that forbids script and sandboxes the document.

const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src 'self'; sandbox";

const ContentQuery = z.object({ redirect: z.enum(['0', '1', 'true', 'false']).optional() }).strict();

const Served = z.object({
  id: z.string(),
  filename: z.string(),
  access: z.string(),
  canRead: sqlBool,
  version: sqlInt.nullable(),
  size: sqlInt.nullable(),
  contentType: z.string().nullable(),
  declaredType: z.string().nullable(),
  checksum: z.string().nullable(),
  objectKey: z.string().nullable(),
});

/**
 * The file if the caller may read it, with its current available version (or version `version`),
 * in one query: the access rule is `fileFor`'s (records.ts), and a file one may not read is 404
 * whether or not the version exists.
 */
async function servedVersion(context: RequestContext, principal: Principal | null, fileId: string, version: number | null) {
  const row = await queryOne(
    context.db(),
    Served,
    `SELECT f.id::text AS id, f.filename, f.access,
            ${CAN_READ} AS "canRead",
            v.version, v.size, v.content_type AS "contentType", v.declared_type AS "declaredType", CASE WHEN v.sha256_deferred THEN NULL ELSE COALESCE(v.checksum, v.sha256) END AS checksum, v.object_key AS "objectKey"
       FROM files f
       ${FILE_GRANT_JOIN}
       LEFT JOIN LATERAL (
         SELECT version, size, content_type, declared_type, checksum, sha256, sha256_deferred, object_key FROM file_versions
          WHERE file_id = f.id AND status = 'available' AND ($3::int8 IS NULL OR version = $3::int8) ORDER BY version DESC LIMIT 1) v ON true
      WHERE f.id = $2::text::uuid AND f.status <> 'deleted'`,
    [principal?.userId ?? null, fileId, version],
  );
  if (!row || !row.canRead) throw notFound('No file with that id');
  const { version: number, size, contentType, objectKey } = row;
  if (number === null || size === null || contentType === null || objectKey === null) {
    throw version === null ? conflict('file_not_available', 'The file has no finished upload yet') : notFound('No such version of this file');
  }
  return { file: row, version: { version: number, size, contentType, objectKey, declaredType: row.declaredType, checksum: row.checksum } };
}

/** A download's own checks on sample values, for the snapshot (warm-up.ts): the row, the ETag, a range. */
export function warmUpDownload(sampleId: string): void {
  Served.parse({
    id: sampleId, filename: 'sample.bin', access: 'private', canRead: 't', version: '1', size: '65536',
    contentType: 'audio/mpeg', declaredType: null, checksum: 'ab', objectKey: `files/${sampleId}`,
  });
  matchesEtag('W/"ab", "cd"', '"cd"');
  parseRange('bytes=0-1023', 65536);
  isActiveContent(servedType('image/svg+xml'));
  ContentQuery.parse({ redirect: '1' });
}

/** `"a", W/"b"` or `*` against the strong ETag. */
function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

async function serve(context: RequestContext, principal: Principal | null, fileId: string, versionNumber: number | null, redirect: boolean): Promise<Response> {
  const { file, version } = await servedVersion(context, principal, fileId, versionNumber);
  const active = isActiveContent(version.contentType) || isActiveContent(version.declaredType);
  const disposition = contentDisposition(active ? 'attachment' : 'inline', file.filename);
  // A version's bytes never change: streamed without a checksum, file and version name them, and
  // keep naming them once the worker has filled its sha256 in (clients cache by the first ETag).
  const etag = `"${version.checksum ?? `${file.id}.${version.version}`}"`;
  const headers: Record<string, string> = {
    etag,
    'accept-ranges': 'bytes',
    'cache-control': file.access === 'public' ? 'public, no-cache' : 'private, no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'content-disposition': disposition,
  };
  if (matchesEtag(context.request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });

  const store = objectStoreFromConfig(context.config);
  if (redirect) {
    const url = await store.presignGet(version.objectKey, {
      expiresInSeconds: storageSettings(context.config).downloadUrlSeconds,
      response: { contentType: servedType(version.contentType), contentDisposition: disposition },
    });
    return new Response(null, { status: 302, headers: { location: url, 'cache-control': 'no-store' } });
  }

  // A range applies unless If-Range names another version.
  const ifRange = context.request.headers.get('if-range');
  const range = ifRange !== null && ifRange.trim() !== etag ? null : parseRange(context.request.headers.get('range'), version.size);
  if (range === 'unsatisfiable') {
    throw new HttpError(416, 'range_not_satisfiable', `The file has ${version.size} bytes`, { headers: { 'content-range': `bytes */${version.size}` } });
  }
  const object = await store.get(version.objectKey, range ? { range: `bytes=${range.start}-${range.end}` } : {});
  headers['content-type'] = servedType(version.contentType);
  headers['content-length'] = String(range ? range.end - range.start + 1 : version.size);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${version.size}`;
  return new Response(forwardable(object.body), { status: range ? 206 : 200, headers });
}

/** A download's answers: the bytes (all, or one range), a presigned URL (`?redirect=1`), or not modified (`If-None-Match`). */
const DOWNLOAD_ANSWERS = {
  200: { contentType: '*/*', description: 'The file\'s bytes as its stored type (`Content-Disposition: attachment` for active content); `ETag` is its SHA-256' },
  206: { contentType: '*/*', description: 'The bytes of one `Range` (`Content-Range`), unless `If-Range` names another version' },
  302: null,
  304: null,
} as const;

const wantsRedirect = (query: z.output<typeof ContentQuery>) => query.redirect === '1' || query.redirect === 'true';

/** `GET /files/{id}/content`: the current version; `Range`, `If-None-Match`, `?redirect=1`. */
export const getContent = defineRoute({
  params: FileParams,
  query: ContentQuery,
  auth: 'optional',
  responses: DOWNLOAD_ANSWERS,
  errors: {
    404: 'No file with that id the caller may read',
    409: '`file_not_available`: no finished upload yet',
    416: '`range_not_satisfiable`: the `Range` is past the end (`Content-Range: bytes */size`)',
  },
}, (context) =>
  serve(context, context.principal, context.params.id, null, wantsRedirect(context.query)),
);

/** `GET /files/{id}/versions/{version}/content`: one version, as `getContent` serves the current one. */
export const getVersionContent = defineRoute({
  params: FileVersionParams,
  query: ContentQuery,
  auth: 'optional',
  responses: DOWNLOAD_ANSWERS,
  errors: {
    404: 'No file with that id the caller may read, or no such version of it',
    416: '`range_not_satisfiable`: the `Range` is past the end (`Content-Range: bytes */size`)',
  },
}, (context) =>
  serve(context, context.principal, context.params.id, context.params.version, wantsRedirect(context.query)),
);

import { z } from 'zod';
import { Id, PageQuery, Timestamp } from './common.ts';
import { eventOf } from './events.ts';

// The storage service's contracts: the file record other services read (graphics, audio and video
// fetch a file's metadata and check access with the caller's token), quotas, grants and events.

export const FILE_ACCESS = ['private', 'public'] as const;
export const FileAccess = z.enum(FILE_ACCESS);
export type FileAccess = z.infer<typeof FileAccess>;

export const FILE_STATUSES = ['pending', 'available', 'deleted'] as const;
export const FileStatus = z.enum(FILE_STATUSES);
export type FileStatus = z.infer<typeof FileStatus>;

/** The top-level media type a list can filter on (`image/png` → `image`). */
export const CONTENT_FAMILIES = ['image', 'audio', 'video', 'text', 'font', 'model', 'application'] as const;
export const ContentFamily = z.enum(CONTENT_FAMILIES);

export const GRANT_PERMISSIONS = ['read', 'write'] as const;
export const GrantPermission = z.enum(GRANT_PERMISSIONS);
export type GrantPermission = z.infer<typeof GrantPermission>;

/** The lowercase hex SHA-256 of a file's bytes. */
export const Sha256Hex = z.string().length(64).regex(/^[0-9a-f]{64}$/);

/**
 * A version's checksum: its SHA-256 (one upload), or for a multipart upload of n parts
 * `<SHA-256 of the n part digests joined>-<n>` (as S3 composes checksums: the raw 32-byte digest
 * of each part, in order), since such a file is verified part by part, never hashed whole.
 */
export const FileChecksum = z.string().max(70).regex(/^[0-9a-f]{64}(-[1-9][0-9]{0,4})?$/);

/** A file as the API shows it: the record and its current version. */
export const StoredFile = z.object({
  id: Id,
  ownerId: Id,
  filename: z.string(),
  access: FileAccess,
  status: FileStatus,
  version: z.number().int().min(1),
  size: z.number().int().min(0),
  /** Detected from the bytes (never the client's word). */
  contentType: z.string(),
  /** What the client said it was, kept for diagnosis only. */
  declaredType: z.string().nullable(),
  /**
   * Null for a file uploaded in parts (see `checksum`) and a pending one; for one streamed without
   * a declared checksum, null until the storage worker has read it back (normally seconds).
   */
  sha256: Sha256Hex.nullable(),
  /** The SHA-256, or for a multipart upload the composite of its parts' (FileChecksum); null while pending in parts, and while a streamed file has no SHA-256 yet. */
  checksum: FileChecksum.nullable(),
  /** What the caller may do with it. */
  permissions: z.object({ read: z.boolean(), write: z.boolean(), owner: z.boolean() }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type StoredFile = z.infer<typeof StoredFile>;

export const StoredFileList = z.object({ items: z.array(StoredFile), nextCursor: z.string().nullable() });

export const FileParams = z.object({ id: Id });
export const FileVersionParams = z.object({ id: Id, version: z.coerce.number().int().min(1).max(2_147_483_647) });
export const GrantParams = z.object({ id: Id, grantId: Id });

export const ListFilesQuery = PageQuery.extend({
  family: ContentFamily.optional(),
  status: z.enum(['pending', 'available']).optional(),
});

export const UpdateFileRequest = z
  .object({
    filename: z.string().min(1).max(255).optional(),
    access: FileAccess.optional(),
  })
  .strict()
  .refine((body) => body.filename !== undefined || body.access !== undefined, 'Send filename or access');

export const FileVersion = z.object({
  version: z.number().int().min(1),
  status: FileStatus,
  size: z.number().int().min(0),
  contentType: z.string(),
  declaredType: z.string().nullable(),
  sha256: Sha256Hex.nullable(),
  checksum: FileChecksum.nullable(),
  createdAt: Timestamp,
});
export const FileVersionList = z.object({ items: z.array(FileVersion) });

export const Quota = z.object({
  usedBytes: z.number().int().min(0),
  allowedBytes: z.number().int().min(0),
  files: z.number().int().min(0),
});

/**
 * `POST /v1/storage/uploads`: a large file goes straight to object storage — one presigned PUT up
 * to the single-PUT limit, above it a multipart upload with a presigned URL per part.
 */
export const CreateUploadRequest = z
  .object({
    filename: z.string().min(1).max(255),
    size: z.number().int().min(1),
    /** A single PUT is verified against it (without it, its hash is only recorded); a multipart upload is verified part by part and ignores it. */
    sha256: Sha256Hex.optional(),
    contentType: z.string().min(1).max(255).optional(),
    access: FileAccess.optional(),
    expiresInSeconds: z.number().int().min(60).max(3600).optional(),
  })
  .strict();

/** One part of a multipart upload: PUT exactly `size` bytes to `url`. */
export const UploadPartUrl = z.object({
  partNumber: z.number().int().min(1).max(10_000),
  size: z.number().int().min(1),
  url: z.url(),
});

/** The part URLs from `first` on (`GET /uploads/{id}/parts`); `nextFirst` is where the next page starts. */
export const UploadPartUrlPage = z.object({ items: z.array(UploadPartUrl), nextFirst: z.number().int().nullable() });

export const SingleUploadTicket = z.object({
  kind: z.literal('single'),
  file: StoredFile,
  uploadUrl: z.url(),
  method: z.literal('PUT'),
  /** Headers the PUT must carry. */
  headers: z.record(z.string(), z.string()),
  expiresAt: Timestamp,
});

export const MultipartUploadTicket = z.object({
  kind: z.literal('multipart'),
  file: StoredFile,
  /** Every part has this size but the last, which has the rest. */
  partSize: z.number().int().min(1),
  partCount: z.number().int().min(1).max(10_000),
  /** The first part URLs (all of them up to 1,000 parts); `GET /uploads/{id}/parts?first=` pages on. */
  parts: z.array(UploadPartUrl),
  nextFirst: z.number().int().nullable(),
  /** Each part may also be PUT here through the service (`PUT /uploads/{id}/parts/{n}`), for clients that cannot reach object storage. */
  partProxyPath: z.string(),
  method: z.literal('PUT'),
  expiresAt: Timestamp,
});

export const UploadTicket = z.discriminatedUnion('kind', [SingleUploadTicket, MultipartUploadTicket]);

/** `POST /uploads/{id}/complete` of a multipart upload: every part with its SHA-256, in order. */
export const CompleteUploadRequest = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(10_000), sha256: Sha256Hex }).strict())
      .min(1)
      .max(10_000),
  })
  .strict();

/** A part as the service saw it: `PUT /uploads/{id}/parts/{n}` and `GET /uploads/{id}/parts/{n}/digest`. */
export const UploadedPartDigest = z.object({
  partNumber: z.number().int().min(1),
  size: z.number().int().min(0),
  sha256: Sha256Hex,
});

export const Grant = z.object({
  id: Id,
  fileId: Id,
  granteeId: Id,
  permission: GrantPermission,
  expiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type Grant = z.infer<typeof Grant>;
export const GrantList = z.object({ items: z.array(Grant) });

export const CreateGrantRequest = z
  .object({
    granteeId: Id,
    permission: GrantPermission,
    /** Seconds from now (1 minute to 1 year); no expiry when absent. */
    expiresInSeconds: z.number().int().min(60).max(365 * 24 * 3600).optional(),
  })
  .strict();

export const StorageEventType = {
  fileUploaded: 'file.uploaded',
  fileDeleted: 'file.deleted',
} as const;

export const FileUploadedData = z.object({
  id: Id,
  ownerId: Id,
  version: z.number().int().min(1),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
  /**
   * Null when the file was uploaded in parts (then `checksum` is the composite of the parts'
   * digests), and when it was streamed without a declared checksum (the storage worker records it
   * afterwards; this event is not sent again).
   */
  sha256: Sha256Hex.nullable(),
  /** Absent from events recorded before multipart uploads. */
  checksum: FileChecksum.optional(),
});
export const FileDeletedData = z.object({ id: Id, ownerId: Id });

export const FileUploadedEvent = eventOf(StorageEventType.fileUploaded, FileUploadedData);
export const FileDeletedEvent = eventOf(StorageEventType.fileDeleted, FileDeletedData);

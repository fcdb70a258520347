import { ConfigError, type Config } from '@authorworks/kit';

// The service's limits, each a Spin variable with a default in spin.toml. Every size, count and
// time a client controls is bounded by one of these or by a schema.

function positiveInteger(config: Config, name: string, fallback: number): number {
  const text = config.optional(name, String(fallback)).trim();
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new ConfigError(name, `must be a positive integer, not "${text}"`);
  return Number(text);
}

/** Parts of a multipart upload: 8 MiB (S3 wants at least 5 MiB but for the last), each read back in one internal request. */
export const PART_BYTES = 8 * 1024 * 1024;
/** S3's limit on parts, so the largest upload the service can take is 10,000 × 8 MiB (~78 GiB). */
export const MAX_PARTS = 10_000;

export interface StorageSettings {
  /** The largest body `POST /files` and new versions accept (bytes). */
  maxUploadBytes: number;
  /** Presigned uploads up to this size are one PUT (read back whole to verify it); larger ones go in parts. */
  maxSinglePutBytes: number;
  /** The largest file a presigned upload may declare (bytes); at most MAX_PARTS parts of PART_BYTES. */
  maxLargeUploadBytes: number;
  /** Bytes each user may hold, every version counted. */
  quotaBytes: number;
  /** Lifetime of a presigned GET. */
  downloadUrlSeconds: number;
  /** How long an accepted small upload may stay pending before the sweep removes it. */
  pendingSeconds: number;
  /** At most one sweep of abandoned uploads and deleted files per this many seconds. */
  sweepEverySeconds: number;
  /** Where this component reaches itself (Spin's service chaining): each part of a multipart upload is verified in its own request. */
  selfUrl: string;
}

export function storageSettings(config: Config): StorageSettings {
  return {
    maxUploadBytes: positiveInteger(config, 'max_upload_bytes', 25 * 1024 * 1024),
    // `complete` reads a single PUT back whole to hash it: bounded at 64 MiB.
    maxSinglePutBytes: Math.min(positiveInteger(config, 'max_single_put_bytes', 16 * 1024 * 1024), 64 * 1024 * 1024),
    maxLargeUploadBytes: Math.min(positiveInteger(config, 'max_large_upload_bytes', 2 * 1024 * 1024 * 1024), MAX_PARTS * PART_BYTES),
    quotaBytes: positiveInteger(config, 'quota_bytes', 1024 * 1024 * 1024),
    downloadUrlSeconds: Math.min(positiveInteger(config, 'download_url_seconds', 300), 3600),
    pendingSeconds: 600,
    sweepEverySeconds: Math.min(positiveInteger(config, 'sweep_every_seconds', 30), 3600),
    selfUrl: config.optional('self_url', 'http://storage-api.spin.internal').replace(/\/+$/, ''),
  };
}

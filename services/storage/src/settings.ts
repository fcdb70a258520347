import { ConfigError, type Config } from '@authorworks/kit';

// The service's limits, each a Spin variable with a default in spin.toml. Every size, count and
// time a client controls is bounded by one of these or by a schema.

function positiveInteger(config: Config, name: string, fallback: number): number {
  const text = config.optional(name, String(fallback)).trim();
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new ConfigError(name, `must be a positive integer, not "${text}"`);
  return Number(text);
}

export interface StorageSettings {
  /** The largest body `POST /files` and new versions accept (bytes). */
  maxUploadBytes: number;
  /** The largest file a presigned upload may declare (bytes); it is read back once to verify it. */
  maxLargeUploadBytes: number;
  /** Bytes each user may hold, every version counted. */
  quotaBytes: number;
  /** Lifetime of a presigned GET. */
  downloadUrlSeconds: number;
  /** How long an accepted small upload may stay pending before the sweep removes it. */
  pendingSeconds: number;
  /** At most one sweep of abandoned uploads and deleted files per this many seconds. */
  sweepEverySeconds: number;
}

export function storageSettings(config: Config): StorageSettings {
  return {
    maxUploadBytes: positiveInteger(config, 'max_upload_bytes', 25 * 1024 * 1024),
    maxLargeUploadBytes: positiveInteger(config, 'max_large_upload_bytes', 100 * 1024 * 1024),
    quotaBytes: positiveInteger(config, 'quota_bytes', 1024 * 1024 * 1024),
    downloadUrlSeconds: Math.min(positiveInteger(config, 'download_url_seconds', 300), 3600),
    pendingSeconds: 600,
    sweepEverySeconds: Math.min(positiveInteger(config, 'sweep_every_seconds', 30), 3600),
  };
}

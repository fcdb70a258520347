// A RangeReader over a file of the storage service, read with `Range` requests as the job's owner
// (`ctx.callServiceAs`): storage checks the owner may read the file, and serves 206 slices of its
// current version. The first request fetches the first block and learns the size from
// Content-Range, so probing a file costs one request more than the blocks the demuxer needs.
import { blockReader, type BlockReaderOptions, type RangeReader } from './range-reader.ts';
import { VideoError } from './video-error.ts';

export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

async function failureOf(response: Response, fileId: string): Promise<VideoError> {
  const text = await response.text().catch(() => '');
  let code = '';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    // not the envelope
  }
  if (response.status === 404) return new VideoError('file_not_found', `File ${fileId} does not exist or its owner may not read it`);
  if (response.status === 409 && code === 'file_not_available') return new VideoError('file_not_found', `File ${fileId} has no finished upload`);
  return new VideoError('storage_error', `Storage answered ${response.status}${code ? ` ${code}` : ''} for file ${fileId}`);
}

/** The content URL of `fileId` (its current version, or `version`) under `storageUrl` (`http://storage-api.spin.internal`). */
export const contentUrl = (storageUrl: string, fileId: string, version?: number) =>
  `${storageUrl.replace(/\/+$/, '')}/v1/storage/files/${encodeURIComponent(fileId)}${version === undefined ? '' : `/versions/${version}`}/content`;

/** Opens `fileId` (its current version, or `version`) for ranged reads; throws `file_not_found` / `storage_error` as storage answers. */
export async function openStorageFile(
  fetcher: Fetcher,
  storageUrl: string,
  fileId: string,
  options: BlockReaderOptions & { version?: number } = {},
): Promise<RangeReader & { fetches: number }> {
  const url = contentUrl(storageUrl, fileId, options.version);
  const blockBytes = options.blockBytes ?? 64 * 1024;
  const fetchRange = async (start: number, end: number): Promise<{ bytes: Uint8Array; total: number }> => {
    const response = await fetcher(url, { headers: { range: `bytes=${start}-${end - 1}` } });
    if (response.status === 416) {
      await response.body?.cancel();
      const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (start === 0 && total === '0') return { bytes: new Uint8Array(0), total: 0 };
      throw new VideoError('storage_error', `Storage refused bytes ${start}-${end - 1} of file ${fileId}`);
    }
    if (response.status !== 206) {
      if (response.status === 200) {
        await response.body?.cancel();
        throw new VideoError('storage_error', `Storage ignored the Range header for file ${fileId}`);
      }
      throw await failureOf(response, fileId);
    }
    const range = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== start) {
      await response.body?.cancel();
      throw new VideoError('storage_error', `Storage answered an unexpected Content-Range for file ${fileId}`);
    }
    return { bytes: new Uint8Array(await response.arrayBuffer()), total: Number(range[3]) };
  };

  const first = await fetchRange(0, blockBytes);
  let fetches = 1;
  const size = first.total;
  const inner = blockReader(
    size,
    async (start, end) => {
      if (start === 0 && end <= first.bytes.length) return first.bytes.subarray(0, end);
      fetches++;
      return (await fetchRange(start, end)).bytes;
    },
    { ...options, blockBytes },
  );
  return {
    size,
    read: (start, end) => inner.read(start, end),
    get fetches() {
      return fetches;
    },
  };
}

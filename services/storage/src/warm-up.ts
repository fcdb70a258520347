import { FileUploadedData } from '@authorworks/domain';
import { signS3Request } from '@authorworks/kit';
import { detectContentType } from './content-type.ts';
import { warmUpDownload } from './download.ts';
import { contentDisposition, sanitizeFilename } from './filenames.ts';
import { FileRow, fileView } from './records.ts';

// What an upload or a download does first in every request, run once at build time so that it is
// compiled into the snapshot (kit snapshot-warm-up.ts; ApiOptions.warmUp): type detection over
// each kind of head the detectors branch on, the record's row and view, the event's data, a
// filename, a download's row, ETag and range, and an S3 signature (SigV4 over Web Crypto, with a
// fixed time and a key that is not the deployment's). Pure code only: no host call, clock or
// randomness.

const SAMPLE_ID = '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10';
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0];
const ZIP = [0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, ...new TextEncoder().encode('mimetype')];

/** Heads of the shapes detection meets: binary (a format, none, zeros), zip, text and markup. */
function sampleHeads(): Uint8Array[] {
  const encoder = new TextEncoder();
  const binary = new Uint8Array(64 * 1024);
  for (let i = 0; i < binary.length; i += 4096) binary[i] = (i / 4096) & 0xff;
  return [
    Uint8Array.from(PNG),
    Uint8Array.from(ZIP),
    binary,
    encoder.encode('It was a dark and stormy night; the rain fell in torrents.\n'),
    encoder.encode('<!doctype html><p>a page</p>'),
    encoder.encode('<svg xmlns="http://www.w3.org/2000/svg"/>'),
  ];
}

export async function warmUpStorage(): Promise<void> {
  for (const head of sampleHeads()) await detectContentType(head);
  const row = FileRow.parse({
    id: SAMPLE_ID,
    ownerId: SAMPLE_ID,
    filename: 'sample.bin',
    access: 'private',
    status: 'available',
    version: '1',
    size: '65536',
    contentType: 'application/octet-stream',
    declaredType: null,
    sha256: null,
    checksum: null,
    objectKey: `files/${SAMPLE_ID}/${SAMPLE_ID}/${SAMPLE_ID}`,
    createdAt: '2026-01-02T03:04:05.678Z',
    updatedAt: '2026-01-02T03:04:05.678Z',
    sortKey: '2026-01-02T03:04:05.678000',
    isOwner: 't',
    canWrite: 't',
    canRead: 't',
  });
  fileView(row);
  FileUploadedData.parse({ id: SAMPLE_ID, ownerId: SAMPLE_ID, version: 1, filename: 'sample.bin', contentType: 'image/png', size: 1, sha256: null });
  contentDisposition('inline', sanitizeFilename('../sample "file".bin'));
  warmUpDownload(SAMPLE_ID);
  await signS3Request({
    method: 'GET',
    url: `http://warm-up.invalid/authorworks/files/${SAMPLE_ID}`,
    headers: { range: 'bytes=0-1023' },
    accessKeyId: 'warm-up',
    secretAccessKey: 'warm-up-not-a-secret',
    region: 'us-east-1',
    time: Date.UTC(2026, 0, 2, 3, 4, 5),
  });
}

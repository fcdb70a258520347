// Covers end to end on compiled components (graphics, storage, content): a book made in content,
// a cover job → a 1600×2560 PNG the owner can download, the book's coverFileId set when asked;
// a user who cannot read the book gets 404, one who can read but not edit it gets a job failing
// with `book_not_editable` and no file left behind.
import { Book, StoredFileList } from '@authorworks/domain';
import { JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectError, expectJson, serviceCaller } from '@authorworks/spin-local/testing';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../src/image/png-decode.ts';
import { probeImage } from '../src/image/probe.ts';
import { clients, COVERS_MANIFEST, newUser, startGraphicsApp } from './graphics-app.ts';

let app: TestApp;
let api: ReturnType<typeof clients>;
let content: ReturnType<typeof serviceCaller>;
const alice = newUser();
const bob = newUser();

beforeAll(async () => {
  app = await startGraphicsApp(COVERS_MANIFEST);
  api = clients(app);
  content = serviceCaller(app, '/v1/content');
}, 120_000);
afterAll(async () => app?.close());

interface CoverResult {
  bookId: string;
  palette: string;
  files: { fileId: string; width: number; height: number; contentType: string; size: number }[];
  blocks: { name: string; lines: string[]; contrast: number; scrim: number }[];
  timings: Record<string, number>;
}

describe('covers', () => {
  it('renders a 1600×2560 PNG cover of a book for its owner and sets it as the book\'s cover', async () => {
    const book = await expectJson(content('POST', '/books', { as: alice, body: { title: 'The Wavering Voyage of Avalon', genre: 'Epic fantasy' } }), 201, Book);
    const job = await expectJson(
      api.graphics('POST', '/covers', { as: alice, body: { bookId: book.id, subtitle: 'Book one of the Tidewater cycle', author: 'Alice Example', setAsBookCover: true } }),
      202,
      JobView,
    );
    expect(job).toMatchObject({ kind: 'cover', ownerId: alice.id });
    const done = await api.settled(alice, job.id, 90);
    expect(done.state, JSON.stringify(done.lastError)).toBe('succeeded');
    const result = done.result as CoverResult;
    expect(result).toMatchObject({ bookId: book.id, palette: 'fantasy' });
    expect(result.blocks.map((b) => b.name)).toEqual(['title', 'subtitle', 'author']);
    expect(result.blocks.flatMap((b) => b.lines).join(' ')).toBe('The Wavering Voyage of Avalon Book one of the Tidewater cycle ALICE EXAMPLE');
    for (const block of result.blocks) expect(block.contrast).toBeGreaterThanOrEqual(4.5);
    const [file] = result.files;
    expect(file).toMatchObject({ width: 1600, height: 2560, contentType: 'image/png' });

    const download = await api.download(alice, file!.fileId);
    expect(download.status).toBe(200);
    expect(probeImage(download.bytes)).toMatchObject({ format: 'png', width: 1600, height: 2560 });
    // Not a blank page: the title's rows hold the fantasy title colour (#f3d98b) and the background.
    const pixels = await decodePng(download.bytes);
    const colours = new Set<number>();
    for (let y = 400; y < 1600; y += 7) for (let x = 150; x < 1450; x += 5) {
      const p = (y * 1600 + x) * pixels.channels;
      colours.add((pixels.data[p]! << 16) | (pixels.data[p + 1]! << 8) | pixels.data[p + 2]!);
    }
    expect(colours.has(0xf3d98b)).toBe(true);
    expect(colours.size).toBeGreaterThan(50);

    expect((await expectJson(content('GET', `/books/${book.id}`, { as: alice }), 200, Book)).coverFileId).toBe(file!.fileId);
    expect((await api.download(bob, file!.fileId)).status).toBe(404);
    // The cover is a derived file: no thumbnail job of its own.
    await expectError(api.graphics('GET', `/files/${file!.fileId}/thumbnails`, { as: alice }), 404, 'not_found');
  });

  it('lays the owner\'s picture behind the text, scrimmed until the text passes; another user\'s picture is a 404', async () => {
    const book = await expectJson(content('POST', '/books', { as: alice, body: { title: 'Circuits of the Heart', genre: 'Romance' } }), 201, Book);
    const photo = await api.upload(alice, new Uint8Array(await readFile(new URL('../fixtures/photo-small.jpg', import.meta.url))), 'board.jpg');
    await expectError(api.graphics('POST', '/covers', { as: bob, body: { bookId: book.id, imageFileId: photo.id } }), 404, 'not_found');
    const job = await expectJson(api.graphics('POST', '/covers', { as: alice, body: { bookId: book.id, imageFileId: photo.id, author: 'Alice Example' } }), 202, JobView);
    const done = await api.settled(alice, job.id, 90);
    expect(done.state, JSON.stringify(done.lastError)).toBe('succeeded');
    const result = done.result as CoverResult & { imageFileId: string };
    expect(result).toMatchObject({ palette: 'romance', imageFileId: photo.id });
    for (const block of result.blocks) expect(block.contrast).toBeGreaterThanOrEqual(4.5);
    expect(result.blocks.some((b) => b.scrim > 0)).toBe(true);
    const download = await api.download(alice, result.files[0]!.fileId);
    expect(probeImage(download.bytes)).toMatchObject({ format: 'png', width: 1600, height: 2560 });
    // The book's cover was not asked for: unchanged.
    expect((await expectJson(content('GET', `/books/${book.id}`, { as: alice }), 200, Book)).coverFileId).toBeNull();
  });

  it('refuses a book the caller cannot read (404), a title over 120 characters (422) and bad bodies (400)', async () => {
    const secret = await expectJson(content('POST', '/books', { as: alice, body: { title: 'A Private Matter' } }), 201, Book);
    await expectError(api.graphics('POST', '/covers', { as: bob, body: { bookId: secret.id } }), 404, 'not_found');
    await expectError(api.graphics('POST', '/covers', { as: alice, body: { bookId: crypto.randomUUID() } }), 404, 'not_found');
    const long = await expectJson(content('POST', '/books', { as: alice, body: { title: 'L'.repeat(60) + ' ' + 'o'.repeat(70) } }), 201, Book);
    await expectError(api.graphics('POST', '/covers', { as: alice, body: { bookId: long.id } }), 422, 'title_too_long');
    await expectError(api.graphics('POST', '/covers', { as: alice, body: { bookId: secret.id, author: 'x'.repeat(101) } }), 400, 'validation_failed');
    await expectError(api.graphics('POST', '/covers', { as: alice, body: { bookId: secret.id, palette: 'neon' } }), 400, 'validation_failed');
    await expectError(api.graphics('POST', '/covers', { body: { bookId: secret.id } }), 401);
  });

  it('fails the job with book_not_editable when a reader who may not edit asks to set the cover, leaving no file', async () => {
    const book = await expectJson(content('POST', '/books', { as: alice, body: { title: 'Open to All', genre: 'Mystery', visibility: 'public' } }), 201, Book);
    await expectJson(content('POST', `/books/${book.id}/publish`, { as: alice }), 200, Book);
    const job = await expectJson(api.graphics('POST', '/covers', { as: bob, body: { bookId: book.id, setAsBookCover: true } }), 202, JobView);
    const done = await api.settled(bob, job.id, 90);
    expect(done.state).toBe('failed');
    expect(done.lastError).toMatch(/book_not_editable: only an owner or editor/);
    expect(done.attempts).toBe(1);
    expect((await expectJson(api.storage('GET', '/files', { as: bob }), 200, StoredFileList)).items).toEqual([]);
    expect((await expectJson(content('GET', `/books/${book.id}`, { as: alice }), 200, Book)).coverFileId).toBeNull();
  });
});

// The content service as the cover route and job use it: a book read as the caller (the route)
// or as the job's owner (the worker), and the book's cover set as the owner. Content decides who
// may read (404 otherwise) and who may change a book (owners and editors; 403 for other readers).
import { Book } from '@authorworks/domain';
import type { Config } from '@authorworks/kit';
import { JobInputError, type CallAs } from './storage-files.ts';

export function contentBase(config: Config): string {
  return config.optional('content_url', 'http://content-api.spin.internal').replace(/\/+$/, '') + '/v1/content';
}

/** The book as `call`'s user sees it; `book_not_found` when they may not read it. */
export async function readBook(call: CallAs, base: string, bookId: string): Promise<Book> {
  const response = await call(`${base}/books/${bookId}`);
  if (response.status === 404 || response.status === 403) throw new JobInputError('book_not_found', 'no such book, or the job\'s owner may not read it');
  if (!response.ok) throw new Error(`reading the book: content answered ${response.status} ${(await response.text().catch(() => '')).slice(0, 300)}`);
  return Book.parse(await response.json());
}

/** Sets the book's cover; `book_not_editable` when the owner may read the book but not change it. */
export async function setBookCover(call: CallAs, base: string, bookId: string, coverFileId: string): Promise<Book> {
  const response = await call(`${base}/books/${bookId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ coverFileId }),
  });
  if (response.status === 403) throw new JobInputError('book_not_editable', 'only an owner or editor of the book may set its cover');
  if (response.status === 404) throw new JobInputError('book_not_found', 'no such book, or the job\'s owner may not read it');
  if (!response.ok) throw new Error(`setting the book's cover: content answered ${response.status} ${(await response.text().catch(() => '')).slice(0, 300)}`);
  return Book.parse(await response.json());
}

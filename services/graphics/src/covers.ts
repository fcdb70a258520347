// POST /covers: a typographic cover of a book, made by the worker as a `cover` job owned by the
// caller. The book must be one the caller may read (content decides; 404 otherwise) and its title
// at most 120 characters (the longest the cover's title box is proven to hold); a picture, when
// given, a PNG or JPEG the caller may read.
import { changeWithEvents, defineRoute, enqueueJob, getJob, HttpError, json, notFound, JobView } from '@authorworks/kit';
import { contentBase, readBook } from './content-books.ts';
import { MAX_TITLE_LENGTH } from './cover/render.ts';
import { checkInput, JOB_OPTIONS } from './jobs.ts';
import { CoverPayload, GRAPHICS_QUEUE } from './payloads.ts';
import { JobInputError } from './storage-files.ts';

export const createCover = defineRoute({
  auth: 'required',
  body: CoverPayload,
  responses: { 202: JobView },
  errors: {
    404: 'No such book, or no such picture (`imageFileId`), the caller may read',
    422: '`title_too_long`: the book\'s title has more than 120 characters; `unsupported_format`: the picture is not a PNG or JPEG',
  },
}, async (ctx) => {
  const payload = ctx.body;
  try {
    const book = await readBook((url, init) => ctx.callService(url, init), contentBase(ctx.config), payload.bookId);
    if (book.title.length > MAX_TITLE_LENGTH) throw new HttpError(422, 'title_too_long', `The title has ${book.title.length} characters; a cover holds at most ${MAX_TITLE_LENGTH}`);
  } catch (error) {
    if (error instanceof JobInputError) throw notFound('No such book');
    throw error;
  }
  if (payload.imageFileId) await checkInput(ctx, payload.imageFileId);
  const id = await changeWithEvents(ctx, GRAPHICS_QUEUE, (tx) =>
    enqueueJob(tx, ctx, { queue: GRAPHICS_QUEUE, kind: 'cover', payload, ownerId: ctx.principal.userId, ...JOB_OPTIONS }),
  );
  return json(await getJob(ctx.db(), id), { status: 202, headers: { location: `/v1/graphics/jobs/${id}` } });
});

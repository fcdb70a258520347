import type { Middleware } from './pipeline.ts';
import { withHeaders } from '../responses.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` if it looks like one, so a trace spans services; else a new one. */
export function requestIdOf(request: Request, generate: () => string): string {
  const given = request.headers.get('x-request-id');
  return given !== null && REQUEST_ID.test(given) ? given : generate();
}

/**
 * Puts the request's id (chosen by `requestIdOf` when the context was made, since the logger and
 * the events' correlation id carry it from the start) on every response, errors included.
 */
export function requestId(): Middleware<{ readonly requestId: string }> {
  return async (context, next) => withHeaders(await next(), { 'x-request-id': context.requestId });
}

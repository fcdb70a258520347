import type { Config } from '../config.ts';
import { HttpError, errorResponse } from '../errors.ts';
import { withHeaders } from '../responses.ts';
import type { Middleware } from './pipeline.ts';

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-request-id', 'if-match', 'if-none-match', 'last-event-id'];
const EXPOSED_HEADERS = 'x-request-id, retry-after, location, etag';

/** `cors_origins` is a comma- or space-separated list of origins, or `*`. Empty = no CORS. */
export function parseCorsOrigins(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin.length > 0);
}

function allowedOrigin(request: Request, origins: readonly string[]): string | null {
  const origin = request.headers.get('origin');
  if (!origin) return null;
  if (origins.includes('*')) return '*';
  return origins.includes(origin) ? origin : null;
}

/** Headers to add to an actual (non-preflight) response, empty when the origin is not allowed. */
export function corsHeaders(request: Request, origins: readonly string[]): Record<string, string> {
  const origin = allowedOrigin(request, origins);
  if (origin === null) return request.headers.has('origin') && origins.length > 0 ? { vary: 'Origin' } : {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
    ...(origin === '*' ? {} : { vary: 'Origin' }),
  };
}

export function isPreflight(request: Request): boolean {
  return request.method === 'OPTIONS' && request.headers.has('origin') && request.headers.has('access-control-request-method');
}

/**
 * Answers a CORS preflight: 204 with the allowed methods and headers for a listed origin, 403
 * in the error envelope otherwise (the browser then blocks the real request).
 */
export function preflightResponse(request: Request, origins: readonly string[]): Response {
  try {
    return allowedPreflight(request, origins);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    throw error;
  }
}

function allowedPreflight(request: Request, origins: readonly string[]): Response {
  const origin = allowedOrigin(request, origins);
  if (origin === null) throw new HttpError(403, 'cors_origin_not_allowed', 'This origin may not call the API');
  const requested = (request.headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter((header) => header.length > 0);
  const refused = requested.filter((header) => !ALLOWED_HEADERS.includes(header));
  if (refused.length > 0) throw new HttpError(403, 'cors_header_not_allowed', `Header not allowed: ${refused.join(', ')}`);
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
      'access-control-max-age': '600',
      ...(origin === '*' ? {} : { vary: 'Origin' }),
    },
  });
}

/**
 * CORS from the `cors_origins` variable: answers preflights itself, and adds the allow-origin
 * headers to every other answer, failures included, so a browser can read the error envelope.
 */
export function cors(): Middleware<{ readonly request: Request; readonly config: Config }> {
  return async (context, next) => {
    const origins = context.config.corsOrigins;
    const response = isPreflight(context.request) ? preflightResponse(context.request, origins) : await next();
    return withHeaders(response, corsHeaders(context.request, origins));
  };
}

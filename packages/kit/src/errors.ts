import type { ErrorDetail, ErrorEnvelope } from '@authorworks/domain';

/**
 * An error meant for the client: its status, snake_case code, message and details reach the
 * response as the error envelope. Anything else thrown from a handler becomes a 500 `internal`.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (code: string, message: string, details: ErrorDetail[] = []) =>
  new HttpError(400, code, message, { details });
export const unauthorized = (code: string, message: string) =>
  new HttpError(401, code, message, { headers: { 'www-authenticate': 'Bearer realm="authorworks"' } });
export const forbidden = (message = 'You are not allowed to do this') => new HttpError(403, 'forbidden', message);
export const notFound = (message = 'Not found') => new HttpError(404, 'not_found', message);
export const conflict = (code: string, message: string, details: ErrorDetail[] = []) =>
  new HttpError(409, code, message, { details });
export const unprocessable = (code: string, message: string) => new HttpError(422, code, message);
export const tooManyRequests = (retryAfterSeconds: number, message = 'Too many attempts; try again later') =>
  new HttpError(429, 'too_many_requests', message, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

export function errorEnvelope(code: string, message: string, details: ErrorDetail[] = []): ErrorEnvelope {
  return { error: { code, message, details } };
}

export function errorResponse(error: HttpError): Response {
  return new Response(JSON.stringify(errorEnvelope(error.code, error.message, error.details)), {
    status: error.status,
    headers: { 'content-type': 'application/json', ...error.headers },
  });
}

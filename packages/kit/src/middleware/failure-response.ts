import { ConfigError } from '../config.ts';
import { HttpError, errorEnvelope, errorResponse } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { json } from '../responses.ts';

/** HttpErrors go to the client as they are; anything else is logged whole and answered with a bare 500. */
export function failureResponse(error: unknown, log: Logger, requestId: string): Response {
  if (error instanceof HttpError) {
    if (error.status >= 500) log.error(error.message, { code: error.code, error: error.cause ?? error });
    return errorResponse(error);
  }
  if (error instanceof ConfigError) {
    log.error('configuration error', { variable: error.variable, error });
    return json(errorEnvelope('misconfigured', `The service is misconfigured: ${error.message}`), { status: 500 });
  }
  log.error('unhandled error', { error });
  return json(errorEnvelope('internal', `Something went wrong on our side (request ${requestId})`), { status: 500 });
}

import type { z } from 'zod';
import { readJsonBody } from '../body.ts';
import type { RouteInput } from '../context.ts';
import { badRequest } from '../errors.ts';
import { bodyIsOptional, queryObject, validate } from '../validation.ts';
import type { Middleware } from './pipeline.ts';

export interface InputSchemas {
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw badRequest('validation_failed', 'The request path is not valid', [{ path: `params.${key}`, message: 'Bad percent-encoding' }]);
    }
  }
  return out;
}

/**
 * Parses what the route declares, in this order: path params, query, then the JSON body (read
 * only when a body schema is declared, at most `maxBodyBytes`; a request without a body is
 * `undefined` when the schema accepts that). The first part that fails is answered with 400
 * `validation_failed` naming each bad field (`params.id`, `body.tags.3`).
 */
export function validateInput(schemas: InputSchemas, maxBodyBytes: number): Middleware<RouteInput> {
  const optionalBody = schemas.body !== undefined && bodyIsOptional(schemas.body);
  return async (context, next) => {
    const { profile } = context;
    if (schemas.params) context.params = profile.time('params', () => validate('params', schemas.params!, decodeParams(context.pathParams)));
    if (schemas.query) context.query = profile.time('query', () => validate('query', schemas.query!, queryObject(context.url)));
    if (schemas.body) {
      const body = await profile.time('body', () => readJsonBody(context.request, maxBodyBytes, { optional: optionalBody }));
      context.body = profile.time('body', () => validate('body', schemas.body!, body));
    }
    return next();
  };
}

// The error pages Traefik's `errors` middleware fetches (traefik/dynamic/authorworks.yml): when a
// response's status is in its list, Traefik drops that response, asks this component for
// `GET /errors/<status>` (with the original request's headers) and sends the page's body and
// headers under the original status — Traefik's codeModifier ignores the page's own status
// (pkg/middlewares/customerrors). So a client sees the error envelope even where Spin answered
// itself (a component trap is Spin's empty 500) or Traefik could not reach Spin.
//
// The page is answered 200: it is a document that exists, and a direct call to it is not a
// failure of the platform (tests/attack counts every 5xx it is answered).
import { ErrorEnvelope } from '@authorworks/domain';
import { defineRoute, errorEnvelope, json } from '@authorworks/kit';
import { z } from 'zod';

interface ErrorPage {
  code: string;
  message: string;
}

/** Each status an error page exists for, in the envelope's words (the codes the kit and services use for the same statuses). */
const ERROR_PAGES = {
  '400': { code: 'bad_request', message: 'The request could not be read' },
  '401': { code: 'unauthorized', message: 'Authentication is required' },
  '403': { code: 'forbidden', message: 'You are not allowed to do this' },
  '404': { code: 'not_found', message: 'Not found' },
  '405': { code: 'method_not_allowed', message: 'This method is not allowed here' },
  '408': { code: 'request_timeout', message: 'The request took too long to arrive' },
  '413': { code: 'payload_too_large', message: 'The request body is too large' },
  '414': { code: 'uri_too_long', message: 'The request URI is too long' },
  '429': { code: 'too_many_requests', message: 'Too many requests; try again later' },
  '431': { code: 'headers_too_large', message: 'The request headers are too large' },
  '500': { code: 'internal', message: 'The service failed while answering; the failure is logged' },
  '501': { code: 'not_implemented', message: 'This method is not implemented' },
  '502': { code: 'bad_gateway', message: 'The platform could not reach the service; try again shortly' },
  '503': { code: 'unavailable', message: 'The service is unavailable; try again shortly' },
  '504': { code: 'gateway_timeout', message: 'The service did not answer in time' },
} as const satisfies Record<string, ErrorPage>;

type ErrorPageStatus = keyof typeof ERROR_PAGES;

/** An enum, so the route's OpenAPI document lists the statuses (and tests/attack can call each). */
const ErrorPageParams = z.object({ status: z.enum(Object.keys(ERROR_PAGES) as [ErrorPageStatus, ...ErrorPageStatus[]]) });

/** `GET /errors/{status}`: the error envelope Traefik sends under `status`. */
export const errorPage = defineRoute({ params: ErrorPageParams, responses: { 200: ErrorEnvelope } }, async (ctx) => {
  const page = ERROR_PAGES[ctx.params.status];
  return json(errorEnvelope(page.code, page.message), { headers: { 'cache-control': 'no-store' } });
});

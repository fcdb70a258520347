/**
 * Answers `HEAD` as the same request's `GET` without a body (RFC 9110 §9.3.2), so every GET route
 * also serves HEAD. Spin passes HEAD to the component unchanged (the wasi-http method `head`), and
 * itty-router's `get` matches GET only: without this, HEAD was a 405. It wraps the API's whole
 * fetch rather than being a pipeline step, because the request itself changes; the status and
 * headers are the GET's, the request log and request id included.
 */
export function headAsGet<Extra extends unknown[]>(fetch: (request: Request, ...extra: Extra) => Promise<Response>): (request: Request, ...extra: Extra) => Promise<Response> {
  return async (request, ...extra) => {
    if (request.method !== 'HEAD') return fetch(request, ...extra);
    const response = await fetch(new Request(request.url, { method: 'GET', headers: request.headers }), ...extra);
    // The GET's body is dropped, not cancelled: it may be a stream forwarded from another body
    // (`forwardable`), and cancelling one traps the engine (body.ts). It ends with the instance.
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

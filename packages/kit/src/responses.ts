/** A JSON response; `data` is serialised as is. */
export function json(data: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(data), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}

/** 201 with the new resource and, when given, its Location. */
export function created(data: unknown, location?: string): Response {
  return json(data, { status: 201, headers: location ? { location } : {} });
}

export function noContent(headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers });
}

/**
 * The response with `headers` set (a `vary` is appended to one already there). Responses from
 * `fetch` and the router may have immutable headers, so this builds a new one around the same body.
 */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  if (Object.keys(headers).length === 0) return response;
  const merged = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'vary' && merged.has('vary')) merged.set('vary', `${merged.get('vary')}, ${value}`);
    else merged.set(name, value);
  }
  const bodyless = response.status === 204 || response.status === 304;
  return new Response(bodyless ? null : response.body, { status: response.status, statusText: response.statusText, headers: merged });
}

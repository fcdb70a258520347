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

import { Router, json, type IRequest, type RouterType } from 'itty-router';

export interface ApiOptions {
  /** Service name as it appears in health answers and logs, e.g. `content`. */
  service: string;
  /** Route prefix the service owns, e.g. `/v1/content`. */
  base: string;
  /** The service package's version. */
  version: string;
}

export interface Api {
  readonly options: ApiOptions;
  readonly router: RouterType<IRequest, []>;
  fetch(request: Request): Promise<Response>;
}

function errorBody(code: string, message: string) {
  return { error: { code, message, details: [] as unknown[] } };
}

/**
 * A service's HTTP API: an itty-router under `base` that already answers `GET <base>/health`
 * and turns unmatched routes into the project's 404 error envelope.
 */
export function createApi(options: ApiOptions): Api {
  const router = Router({ base: options.base });
  router.get('/health', () =>
    json({ status: 'ok', service: options.service, version: options.version }),
  );
  return {
    options,
    router,
    async fetch(request) {
      const response: unknown = await router.fetch(request);
      if (response instanceof Response) return response;
      return json(errorBody('not_found', `No route for ${request.method} ${new URL(request.url).pathname}`), {
        status: 404,
      });
    },
  };
}

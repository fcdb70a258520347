export { createApi, type Api, type ApiOptions } from './api.ts';
export { serveHttp, type FetchEvent, type FetchHandler } from './fetch-event.ts';

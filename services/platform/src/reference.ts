// The platform's API reference page: `GET /docs` is a small HTML page that loads Swagger UI and
// src/browser/reference.js from `/docs/assets/…` (this component, never a CDN); the script reads
// every service's `<base>/openapi.json` from the same origin and shows them as one document.
import { defineRoute, notFound } from '@authorworks/kit';
import { z } from 'zod';
import { referenceApis } from './reference-apis.ts';
import { REFERENCE_ASSETS, referenceAssetNamed } from './reference-assets.ts';

// Swagger UI styles elements inline and draws icons as data: URIs; scripts and requests stay on this origin.
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function referencePageHtml(apis: readonly string[]): string {
  const { swaggerUiScript, swaggerUiStyle, referenceScript, referenceStyle } = REFERENCE_ASSETS;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AuthorWorks API reference</title>
<link rel="stylesheet" href="/docs/assets/${swaggerUiStyle.file}">
<link rel="stylesheet" href="/docs/assets/${referenceStyle.file}">
</head>
<body>
<header class="reference-header">
<h1>AuthorWorks API reference</h1>
<p id="reference-status" role="status">Loading the specifications of ${apis.length} APIs…</p>
<ul id="unavailable-apis"></ul>
</header>
<main id="reference" data-apis="${apis.join(' ')}"></main>
<script src="/docs/assets/${swaggerUiScript.file}"></script>
<script src="/docs/assets/${referenceScript.file}"></script>
</body>
</html>
`;
}

/** `GET /docs`: the page; never cached long, since it names the current assets. */
export const referencePage = defineRoute({ responses: { 200: { contentType: 'text/html', description: 'The API reference page (Swagger UI over every service’s openapi.json)' } } }, async (ctx) => {
  const html = referencePageHtml(referenceApis(ctx.config.required('reference_apis')));
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': PAGE_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
});

/** `GET /docs/assets/{file}`: an embedded asset; its name changes with its content, so it may be cached for a year. */
export const referenceAsset = defineRoute(
  {
    params: z.object({ file: z.string() }),
    responses: { 200: { contentType: 'text/javascript or text/css', description: 'A script or style sheet of the reference page' } },
    errors: { 404: 'no asset has that name (the names carry their content digest)' },
  },
  async (ctx) => {
    const asset = referenceAssetNamed(ctx.params.file);
    if (asset === undefined) throw notFound(`No reference asset named ${ctx.params.file}`);
    return new Response(asset.body, {
      headers: {
        'content-type': asset.contentType,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      },
    });
  },
);

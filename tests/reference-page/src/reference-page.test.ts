// The platform's API reference page in headless Chromium (Debian's package, driven by
// puppeteer-core) against a running app of three components — platform, user and content — so
// the page must list the running services' routes and name the six others as unavailable. One
// signed-in "try it" request runs from the page with a token entered through Authorize.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeManifests, loadManifest, renderComposedManifest } from '@authorworks/spin-manifest';
import { type TestApp, startApp } from '@authorworks/spin-local';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNING_APIS = ['/v1/users', '/v1/content'];
const STOPPED_APIS = ['/v1/storage', '/v1/editor', '/v1/messaging', '/v1/graphics', '/v1/audio', '/v1/video'];

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(
    `tests/reference-page skipped: no Chromium at ${CHROMIUM}. Install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
  );
}

/**
 * The app of three services, composed as `pnpm compose` composes spin-all.toml (into the ignored
 * .cache): with spin-all.toml itself, `migrate` would set up all eight services' databases (~20 s).
 */
async function threeServiceManifest(): Promise<string> {
  const dir = join(ROOT, '.cache', 'reference-page');
  await mkdir(dir, { recursive: true });
  const inputs = await Promise.all(['platform', 'user', 'content'].map((name) => loadManifest(join(ROOT, 'services', name, 'spin.toml'))));
  const composed = composeManifests(inputs, { root: dir, application: { name: 'authorworks-reference-page', version: '0.1.0' } });
  const manifest = join(dir, `spin-${process.pid}.toml`);
  await writeFile(manifest, renderComposedManifest(composed, ['Written by tests/reference-page: platform, user and content.']));
  return manifest;
}

interface OpenApiDocument {
  servers?: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
}

describe.skipIf(chromiumMissing)('the API reference page (/docs) in Chromium', () => {
  let manifest: string;
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  /** Every URL the page asked for that is not on the app's origin (a CDN, the online validator…). */
  const foreignRequests: string[] = [];
  /** Script errors and console errors (a Content-Security-Policy violation is reported there). */
  const pageErrors: string[] = [];
  /** `Authorization` headers the page sent to /v1/users/me. */
  const meAuthorizations: string[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      threeServiceManifest().then((written) =>
        startApp({
          manifest: (manifest = written),
          components: ['platform-api', 'user-api', 'content-api'],
          env: { SPIN_VARIABLE_AUTH_SECRET: 'reference-page-secret-reference-page-secret-01', SPIN_VARIABLE_LOG_LEVEL: 'warn' },
          migrate: true,
        }),
      ),
      // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
      puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] }),
    ]);
    page = await browser.newPage();
    const origin = new URL(app.url).origin;
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) foreignRequests.push(url);
      if (new URL(url).pathname === '/v1/users/me') meAuthorizations.push(request.headers().authorization ?? '');
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      // The six stopped services' specs (and /favicon.ico) are 404s by design; the page names those.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
    await page.goto(`${app.url}/docs`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.opblock');
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (manifest) await rm(manifest, { force: true });
  });

  it('loads nothing from another origin, and runs under its Content-Security-Policy without an error', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('lists every route of every running service, under its base', async () => {
    const listed = new Set(
      await page.$$eval('.opblock', (blocks) =>
        blocks.map((block) => `${block.querySelector('.opblock-summary-method')?.textContent?.trim()} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
      ),
    );
    const expected: string[] = [];
    for (const base of RUNNING_APIS) {
      const spec = (await (await app.fetch(`${base}/openapi.json`)).json()) as OpenApiDocument;
      const server = spec.servers?.[0]?.url ?? base;
      for (const [path, item] of Object.entries(spec.paths)) {
        for (const method of Object.keys(item)) expected.push(`${method.toUpperCase()} ${path === '/' ? server : server + path}`);
      }
    }
    expect(expected.length).toBeGreaterThan(30);
    expect([...expected].filter((route) => !listed.has(route))).toEqual([]);
    expect(listed.size).toBe(expected.length);
  });

  it('names each service that is not running as unavailable, and lists the others', async () => {
    const unavailable = await page.$$eval('#unavailable-apis li', (items) => items.map((item) => item.getAttribute('data-base')));
    expect(unavailable).toEqual(STOPPED_APIS);
    expect(await page.$eval('#reference-status', (status) => status.textContent)).toContain('2 of 8 APIs listed');
  });

  it('runs a signed-in request with the token entered through Authorize, and shows its answer', async () => {
    const registered = await app.fetch('/v1/users/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', username: 'ada_reference', password: 'correct horse battery', displayName: 'Ada Lovelace' }),
    });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };

    await page.click('.auth-wrapper .authorize');
    await page.waitForSelector('.auth-container input');
    await page.type('.auth-container input', accessToken);
    await page.click('.auth-btn-wrapper .authorize');
    await page.click('.auth-btn-wrapper .btn-done');

    const me = await page.waitForSelector('.opblock-get:has(.opblock-summary-path[data-path="/v1/users/me"])');
    await (await me!.$('.opblock-summary-control'))!.click();
    await (await me!.waitForSelector('.try-out__btn'))!.click();
    await (await me!.waitForSelector('.execute'))!.click();
    const status = await me!.waitForSelector('.live-responses-table .response .response-col_status');
    // Exactly "200": an answer the spec does not document would read "200Undocumented".
    expect(await status!.evaluate((cell) => cell.textContent?.trim())).toBe('200');
    const body = await me!.$eval('.live-responses-table .response .response-col_description', (cell) => cell.textContent ?? '');
    expect(body).toContain('"username": "ada_reference"');
    expect(meAuthorizations).toEqual([`Bearer ${accessToken}`]);
  });
});

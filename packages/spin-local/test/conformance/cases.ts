/**
 * The conformance cases (expected.json) and how to run one against a base URL: shared by the
 * vitest suite on spin-local and by run-against-spin.ts on a real `spin up`, so both hosts are
 * held to the same expectations.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const conformanceManifest = fileURLToPath(new URL('./spin.toml', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CaseRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  json?: Json;
  /** A body of `bytes` bytes, byte i being (i * 7) mod 256. */
  bodyPattern?: { bytes: number };
}

export interface CaseStep {
  request: CaseRequest;
  expect: { status: number; text?: string; json?: Json; headers?: Record<string, Json> };
  /** Retried until it matches (a Redis message is delivered asynchronously). */
  eventually?: boolean;
}

export interface ConformanceCase {
  id: string;
  /** Where Spin's source or documentation says so. */
  source: string;
  requires?: ('postgres' | 'redis')[];
  steps: CaseStep[];
}

export function loadCases(): ConformanceCase[] {
  const file = fileURLToPath(new URL('./expected.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: ConformanceCase[] }).cases;
}

export interface Substitutions {
  REDIS_ADDRESS: string;
  DB_ADDRESS: string;
  RUN: string;
}

/** Replaces $NAME placeholders in every string; `{ "$bytes": text }` becomes the probe's `{ bytes: [...] }`. */
function substitute(value: Json, subs: Substitutions): Json {
  if (typeof value === 'string') return value.replace(/\$(REDIS_ADDRESS|DB_ADDRESS|RUN)/g, (_all, name: keyof Substitutions) => subs[name]);
  if (Array.isArray(value)) return value.map((v) => substitute(v, subs));
  if (value && typeof value === 'object') {
    if (typeof value.$bytes === 'string') return { bytes: [...new TextEncoder().encode(substitute(value.$bytes, subs) as string)] };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, subs)]));
  }
  return value;
}

/** Where `actual` departs from `expected` (the matching rules of expected.json), or [] when it matches. */
export function mismatches(expected: Json, actual: unknown, path = '$'): string[] {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (typeof expected.$regex === 'string') {
      return typeof actual === 'string' && new RegExp(expected.$regex).test(actual) ? [] : [`${path}: ${JSON.stringify(actual)} does not match /${expected.$regex}/`];
    }
    if ('$contains' in expected) {
      const wanted = expected.$contains as Json;
      return Array.isArray(actual) && actual.some((item) => mismatches(wanted, item).length === 0) ? [] : [`${path}: ${JSON.stringify(actual)} holds no ${JSON.stringify(wanted)}`];
    }
    if ('$json' in expected) {
      if (typeof actual !== 'string') return [`${path}: expected a JSON string, got ${JSON.stringify(actual)}`];
      try {
        return mismatches(expected.$json as Json, JSON.parse(actual), `${path}<json>`);
      } catch {
        return [`${path}: not JSON: ${actual.slice(0, 200)}`];
      }
    }
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const record = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([key, value]) => {
      if (value && typeof value === 'object' && !Array.isArray(value) && value.$absent === true) return key in record ? [`${path}.${key}: should be absent, is ${JSON.stringify(record[key])}`] : [];
      return mismatches(value, record[key], `${path}.${key}`);
    });
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`];
    return expected.flatMap((item, i) => mismatches(item, actual[i], `${path}[${i}]`));
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

function patternBody(bytes: number): Blob {
  return new Blob([new Uint8Array(bytes).map((_, i) => (i * 7) % 256)]);
}

export interface StepResult {
  status: number;
  problems: string[];
}

async function runStepOnce(baseUrl: string, step: CaseStep, subs: Substitutions): Promise<StepResult> {
  const { request } = step;
  const headers: Record<string, string> = { ...request.headers };
  let body: string | Blob | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(substitute(request.json, subs));
    headers['content-type'] = 'application/json';
  } else if (request.bodyPattern) body = patternBody(request.bodyPattern.bytes);
  const response = await fetch(new URL(substitute(request.path, subs) as string, baseUrl), { method: request.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const expected = substitute(step.expect as unknown as Json, subs) as unknown as CaseStep['expect'];
  const problems: string[] = [];
  if (response.status !== expected.status) problems.push(`status: expected ${expected.status}, got ${response.status} (${text.slice(0, 200)})`);
  if (expected.text !== undefined && text !== expected.text) problems.push(`body: expected ${JSON.stringify(expected.text)}, got ${JSON.stringify(text.slice(0, 200))}`);
  if (expected.headers) problems.push(...mismatches(expected.headers, Object.fromEntries(response.headers), 'headers'));
  if (expected.json !== undefined) {
    try {
      problems.push(...mismatches(expected.json, JSON.parse(text)));
    } catch {
      problems.push(`body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { status: response.status, problems };
}

/** Runs every step of a case; an `eventually` step is retried (up to ~10 s) until it matches. */
export async function runCase(baseUrl: string, testCase: ConformanceCase, subs: Substitutions): Promise<string[]> {
  for (const [index, step] of testCase.steps.entries()) {
    let result = await runStepOnce(baseUrl, step, subs);
    for (let attempt = 0; step.eventually && result.problems.length > 0 && attempt < 100; attempt++) {
      await sleep(100);
      result = await runStepOnce(baseUrl, step, subs);
    }
    if (result.problems.length > 0) return result.problems.map((p) => `step ${index + 1}: ${p}`);
  }
  return [];
}

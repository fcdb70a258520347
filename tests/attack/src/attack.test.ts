// The outside attack of issue 18 as a test, driven by each service's own route table
// (`GET <base>/openapi.json`): a route added to any service is fuzzed and put through the
// two-user matrix without anyone writing a test for it. See README.md.
import { fileURLToPath } from 'node:url';
import { ErrorEnvelope } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { startService } from '@authorworks/spin-local/testing';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type Account } from './accounts.ts';
import { AnswerContract } from './answer-contract.ts';
import { type Case, forgedTokens, hostileCases } from './cases.ts';
import { resolverOf, Unsatisfiable, validValue, type Resolve } from './json-schema.ts';
import { bindTemplate, fillPath, matchesTemplate, type OpenApiDocument, type Operation, operationsOf } from './route-table.ts';

const AUTH_SECRET = 'attack-suite-secret-attack-suite-secret-0123';
/** A request still unanswered after this long counts as hung (it is a bound, not a latency target). */
const REQUEST_BOUND_MS = 30_000;
const CONCURRENCY = 4;

/**
 * Operations anyone may call on anyone's resource by design, with why; every other 2xx that user B
 * or an anonymous caller gets on user A's private resource is a wrongful access. A new public
 * route must be added here on purpose.
 */
const PUBLIC_BY_DESIGN: Record<string, string> = {
  'GET /v1/users/{id}': "a user's public profile (services/user/README.md)",
};

/** POST routes A does not call while creating: they end A's own sessions, and A must stay signed in to be the control. */
const ENDS_OWN_SESSIONS: Record<string, string> = {
  'POST /v1/users/logout-all': 'revokes every token of the caller (services/user/README.md)',
};

interface Finding {
  operation: string;
  case: string;
  status: number | 'hung';
  detail: string;
}

const findings = {
  serverErrors: [] as Finding[],
  envelopeViolations: [] as Finding[],
  hangs: [] as Finding[],
  wrongfulAccesses: [] as Finding[],
  /** Answers their operation does not document: an undeclared status, or a 2xx body off its schema. */
  offSpec: [] as Finding[],
};
let requests = 0;
const skipped: string[] = [];

let app: TestApp;
const services: { base: string; document: OpenApiDocument; operations: Operation[]; resolve: Resolve }[] = [];
const contract = new AnswerContract();

/**
 * Which operation answers `method path`, as the router picks: the one the case was made for when
 * it matches, else the one with the fewest params (literal paths come before `/:param` ones in
 * every route table) — an empty path param makes `/jobs/{id}` the list `/jobs`. `other-method`
 * when only other methods' routes match (405), `no-route` when none does (404).
 */
function answeringOperation(label: string, method: string, path: string): Operation | 'other-method' | 'no-route' {
  // The longest base that holds the path, as Spin routes: the platform's catch-all (base '') only
  // gets what no service's `/v1/<svc>/...` takes.
  const service = services
    .filter(({ base }) => path === base || path.startsWith(`${base}/`))
    .sort((a, b) => b.base.length - a.base.length)[0];
  const matching = service?.operations.filter((operation) => matchesTemplate(operation.template, path)) ?? [];
  if (matching.length === 0) return 'no-route';
  const answering = matching.filter((operation) => operation.method === method || (method === 'HEAD' && operation.method === 'GET'));
  if (answering.length === 0) return 'other-method';
  const template = label.slice(label.indexOf(' ') + 1);
  return answering.find((operation) => operation.template === template) ?? answering.sort((a, b) => a.pathParams.length - b.pathParams.length)[0]!;
}

/** What is off the documents in an answer: a status or 2xx body its operation does not document, or a 404/405 where the document-wide conventions do not allow one. */
function offSpec(label: string, sent: Case, status: number, contentType: string | null, body: unknown): string | null {
  const answering = answeringOperation(label, sent.method, sent.path.split('?')[0]!);
  if (answering === 'no-route') return status === 404 ? null : `no route matches, so 404 was due, got ${status}`;
  if (answering === 'other-method') return status === 405 ? null : `no route of this method matches, so 405 was due, got ${status}`;
  const base = services.find((service) => service.operations.includes(answering))!.base;
  const problem = contract.violation(base, answering.method, answering.template.slice(base.length), { method: sent.method, status, contentType, body });
  return problem === null ? null : `${answering.label}: ${problem}`;
}

interface Sent {
  status: number | 'hung';
  body: unknown;
  headers: Headers | null;
}

async function send(operation: string, sent: Case): Promise<Sent> {
  requests += 1;
  const headers = Object.fromEntries(Object.entries(sent.headers).filter(([, value]) => value !== ''));
  let response: Response;
  let text: string;
  try {
    response = await app.fetch(sent.path, {
      method: sent.method,
      headers,
      ...(sent.body !== undefined ? { body: typeof sent.body === 'string' ? sent.body : new Uint8Array(sent.body) } : {}),
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
    text = await response.text();
  } catch (error) {
    const finding = { operation, case: sent.label, status: 'hung' as const, detail: `${sent.method} ${sent.path.slice(0, 200)}: ${String(error)}` };
    findings.hangs.push(finding);
    return { status: 'hung', body: null, headers: null };
  }
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Kept as text: an error answer that is not JSON is an envelope violation below.
  }
  const where = { operation, case: sent.label, status: response.status };
  const problem = offSpec(operation, sent, response.status, response.headers.get('content-type'), body);
  if (problem !== null) findings.offSpec.push({ ...where, detail: `${sent.method} ${sent.path.slice(0, 200)}: ${problem}` });
  if (response.status >= 500) {
    findings.serverErrors.push({ ...where, detail: `${sent.method} ${sent.path.slice(0, 200)} → ${text.slice(0, 200)} | ${app.logs.text('error').slice(-400)}` });
  } else if (response.status >= 400) {
    // A HEAD answer has no body by definition; it must still carry the request id.
    const envelopeOk = sent.method === 'HEAD' || ErrorEnvelope.safeParse(body).success;
    if (!envelopeOk || !response.headers.get('x-request-id')) {
      findings.envelopeViolations.push({ ...where, detail: `${sent.method} ${sent.path.slice(0, 200)} → ${JSON.stringify(text.slice(0, 200))}, x-request-id ${response.headers.get('x-request-id') ?? 'missing'}` });
    }
  }
  return { status: response.status, body, headers: response.headers };
}

/** Runs `jobs` with at most CONCURRENCY in flight. */
async function pool(jobs: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

const list = (items: Finding[]) => items.map((f) => `  ${f.operation} [${f.case}] ${f.status}: ${f.detail}`).join('\n');

/** The findings added since `mark()` was called, one listing per kind (empty when none). */
function since(): () => Record<keyof typeof findings, string> {
  const marks = Object.fromEntries(Object.entries(findings).map(([name, items]) => [name, items.length])) as Record<keyof typeof findings, number>;
  return () => {
    const out = {} as Record<keyof typeof findings, string>;
    for (const name of Object.keys(findings) as (keyof typeof findings)[]) out[name] = list(findings[name].slice(marks[name]));
    return out;
  };
}
const NONE = { serverErrors: '', envelopeViolations: '', hangs: '', wrongfulAccesses: '', offSpec: '' };
const matrix = { resources: [] as string[], attempts: 0 };

beforeAll(async () => {
  app = await startService({ manifest: fileURLToPath(new URL('../../../spin-all.toml', import.meta.url)), authSecret: AUTH_SECRET });
  const bases = (app.app.manifest.trigger.http ?? [])
    .map((trigger) => trigger.route)
    .filter((route): route is string => typeof route === 'string' && route.endsWith('/...'))
    .map((route) => route.slice(0, -4));
  for (const base of bases) {
    const response = await app.fetch(`${base}/openapi.json`);
    expect(response.status, `${base}/openapi.json`).toBe(200);
    const document = (await response.json()) as OpenApiDocument;
    const operations = operationsOf(document);
    services.push({ base, document, operations, resolve: resolverOf(document.components.schemas) });
    contract.add(document);
  }
});

afterAll(async () => {
  const counts = Object.fromEntries(Object.entries(findings).map(([name, items]) => [name, items.length]));
  console.log(
    `attack summary: ${requests} requests, ${counts.serverErrors} 5xx, ${counts.envelopeViolations} envelope violations, ` +
      `${counts.wrongfulAccesses} wrongful accesses, ${counts.hangs} hung, ${counts.offSpec} answers off their spec (${contract.checked.bodies} 2xx bodies validated against ${contract.checked.schemas} response schemas, ${Math.round(contract.checked.ms)} ms in all); matrix: ${matrix.attempts} calls by B and anonymous on A's ${matrix.resources.length} resources (${matrix.resources.join(', ')}) ` +
      `(backends: ${app?.app.backends.postgres} Postgres, ${app?.app.backends.redis} Redis)` +
      (skipped.length > 0 ? `\nskipped (no valid input could be generated):\n  ${skipped.join('\n  ')}` : ''),
  );
  await app?.close();
});

describe('route tables', () => {
  it('every service serves an OpenAPI 3.1 document a validator accepts, listing its routes', async () => {
    expect(services.map((s) => s.base)).toEqual(expect.arrayContaining(['/v1/users', '/v1/content']));
    for (const { base, document, operations } of services) {
      const result = await new Validator().validate(document as unknown as Record<string, unknown>);
      expect(result.errors ?? [], base).toEqual([]);
      expect(result.valid, base).toBe(true);
      expect(operations.map((o) => o.label), base).toContain(`GET ${base}/health`);
    }
    const content = services.find((s) => s.base === '/v1/content')!;
    expect(content.operations.map((o) => o.label)).toEqual(expect.arrayContaining(['POST /v1/content/books', 'GET /v1/content/books/{id}', 'PUT /v1/content/chapters/{id}/content']));
    // The answers are documented for real: a book without its fields is off the 200 schema, a 409 undocumented.
    const answer = (status: number, body: unknown) => ({ method: 'GET', status, contentType: 'application/json', body });
    expect(contract.violation('/v1/content', 'GET', '/books/{id}', answer(200, { id: '6f1c1a52-6a53-4c7e-9d43-1f1e7d1e2a10' }))).toMatch(/200 schema/);
    expect(contract.violation('/v1/content', 'GET', '/books/{id}', answer(409, {}))).toMatch(/not documented/);
  });
});

describe('fuzzer: hostile input on every operation', () => {
  it('answers every case below 500, every 4xx in the error envelope with x-request-id, and none hangs', async () => {
    const added = since();
    const fuzzer = await registerUser(app, 'fuzzer');
    const admin = await registerUser(app, 'fuzzadmin', { admin: true, authSecret: AUTH_SECRET });
    const jobs: (() => Promise<void>)[] = [];
    const unvalidated = new Set<string>();
    for (const { operations, resolve } of services) {
      for (const operation of operations) {
        const caller = operation.auth === 'admin' ? admin : fuzzer;
        let cases: Case[];
        try {
          cases = hostileCases(operation, resolve, { token: caller.token, tokens: forgedTokens(AUTH_SECRET, caller.id) });
        } catch (error) {
          if (!(error instanceof Unsatisfiable)) throw error;
          skipped.push(`${operation.label} (fuzzer): ${error.message}`);
          continue;
        }
        const hasInput = operation.pathParams.length + operation.queryParams.length > 0 || operation.body !== undefined;
        if (hasInput) unvalidated.add(operation.label);
        for (const sent of cases) {
          jobs.push(async () => {
            const answer = await send(operation.label, sent);
            if (answer.status === 400) unvalidated.delete(operation.label);
          });
        }
      }
    }
    await pool(jobs);
    expect(jobs.length).toBeGreaterThan(services.length * 3);
    // Hostile input reached every route's validation (a 400), so a caller's token did not stop it at the door.
    expect([...unvalidated]).toEqual([]);
    expect(added()).toEqual(NONE);
  });
});

describe('two-user matrix: what user A creates, user B and anonymous callers cannot reach', () => {
  it('gives no 2xx to B or anonymous on any route taking A\'s private resources', async () => {
    const added = since();
    const owner = await registerUser(app, 'owner');
    const other = await registerUser(app, 'other');
    // A's resources by their paths (the Location of each 201), A's own account included.
    const resources = [`/v1/users/${owner.id}`];
    const operations = services.flatMap((s) => s.operations.map((operation) => ({ operation, resolve: s.resolve })));

    const requestFor = (operation: Operation, resolve: Resolve, bound: Record<string, string>, as: Account | null): Case => {
      const values: Record<string, string> = {};
      for (const parameter of operation.pathParams) {
        // A second id in the path (a collaborator's user id) is the caller's own: "me" on A's book.
        const own = parameter.schema.format === 'uuid' && as ? as.id : undefined;
        values[parameter.name] = bound[parameter.name] ?? own ?? encodeURIComponent(String(validValue(parameter.schema, resolve, parameter.name)));
      }
      const query = operation.queryParams.filter((p) => p.required).map((p) => `${p.name}=${encodeURIComponent(String(validValue(p.schema, resolve, p.name)))}`);
      const body = operation.body ? JSON.stringify(validValue(operation.body, resolve, 'body')) : undefined;
      return {
        label: as ? as.name : 'anonymous',
        method: operation.method,
        path: `${fillPath(operation.template, values)}${query.length ? `?${query.join('&')}` : ''}`,
        headers: { ...(as ? { authorization: `Bearer ${as.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      };
    };
    const bindingOf = (operation: Operation): Record<string, string> | undefined => {
      for (const resource of resources) {
        const bound = bindTemplate(operation.template, resource);
        if (bound) return bound;
      }
      return undefined;
    };

    // A creates: every POST, in rounds, as soon as its path can be bound to what A already has.
    const created = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const before = resources.length;
      for (const { operation, resolve } of operations) {
        if (operation.method !== 'POST' || created.has(operation.label) || ENDS_OWN_SESSIONS[operation.label]) continue;
        const bound = operation.pathParams.length === 0 ? {} : bindingOf(operation);
        if (bound === undefined) continue;
        let sent: Case;
        try {
          sent = requestFor(operation, resolve, bound, owner);
        } catch (error) {
          if (!(error instanceof Unsatisfiable)) throw error;
          skipped.push(`${operation.label} (matrix): ${error.message}`);
          created.add(operation.label);
          continue;
        }
        created.add(operation.label);
        const answer = await send(operation.label, sent);
        const location = answer.headers?.get('location');
        if (answer.status === 201 && location && !resources.includes(location)) resources.push(location);
      }
      if (resources.length === before) break;
    }
    expect(resources.length, `A's resources: ${resources.join(', ')}`).toBeGreaterThanOrEqual(5);
    // The control: A reads each resource that has a GET route of its own, so B's 404s below mean "refused", not "no such id".
    let ownReads = 0;
    for (const resource of resources) {
      const reader = operations.find(({ operation }) => operation.method === 'GET' && operation.template.split('/').length === resource.split('/').length && bindTemplate(operation.template, resource));
      if (!reader) continue;
      const own = await send(reader.operation.label, { label: 'A reads its own', method: 'GET', path: resource, headers: { authorization: `Bearer ${owner.token}` } });
      expect(own.status, `A reads ${resource}`).toBe(200);
      ownReads += 1;
    }
    expect(ownReads).toBeGreaterThanOrEqual(4);
    // A also calls every GET it can fill (lists, permissions, versions, members): a 2xx the fuzzer
    // rarely provokes, each held to its operation's response schema like every answer.
    const ownCalls: (() => Promise<void>)[] = [];
    for (const { operation, resolve } of operations) {
      if (operation.method !== 'GET') continue;
      const bound = operation.pathParams.length === 0 ? {} : bindingOf(operation);
      if (bound === undefined) continue;
      try {
        const sent = requestFor(operation, resolve, bound, owner);
        ownCalls.push(async () => void (await send(operation.label, { ...sent, label: 'A calls its own' })));
      } catch (error) {
        if (!(error instanceof Unsatisfiable)) throw error;
      }
    }
    await pool(ownCalls);
    expect(ownCalls.length).toBeGreaterThan(30);

    // B and anonymous: every operation whose path binds to one of A's resources.
    const attempts: (() => Promise<void>)[] = [];
    for (const { operation, resolve } of operations) {
      if (operation.pathParams.length === 0 || PUBLIC_BY_DESIGN[operation.label]) continue;
      for (const resource of resources) {
        const bound = bindTemplate(operation.template, resource);
        if (!bound) continue;
        for (const as of [other, null]) {
          let sent: Case;
          try {
            sent = requestFor(operation, resolve, bound, as);
          } catch (error) {
            if (!(error instanceof Unsatisfiable)) throw error;
            continue;
          }
          attempts.push(async () => {
            const answer = await send(operation.label, sent);
            if (typeof answer.status === 'number' && answer.status < 300) {
              findings.wrongfulAccesses.push({ operation: operation.label, case: `${sent.label} on ${resource}`, status: answer.status, detail: `${sent.method} ${sent.path} → ${JSON.stringify(answer.body).slice(0, 200)}` });
            }
          });
        }
        break;
      }
    }
    await pool(attempts);
    Object.assign(matrix, { resources: resources.map((r) => r.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')), attempts: attempts.length });
    expect(attempts.length).toBeGreaterThan(40);
    expect(added()).toEqual(NONE);
  });
});

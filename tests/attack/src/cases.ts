// The hostile requests for one operation, built from its schemas alone, at most
// MAX_CASES_PER_OPERATION of them (spread evenly over the kinds) so the suite stays within
// minutes on two shared cores however many routes the services grow.
import { signAccessToken } from '@authorworks/kit';
import { hostileValues, type JsonSchema, type Resolve, Unsatisfiable, validValue } from './json-schema.ts';
import { fillPath, type Operation, type Parameter } from './route-table.ts';

export const MAX_CASES_PER_OPERATION = 24;

export interface Case {
  /** What the case sends, for the report: `body.title: NUL`. */
  label: string;
  method: string;
  /** Path and query, percent-encoded as sent. */
  path: string;
  /** An empty value means: send no such header. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Tokens a client could forge: each must be refused (401) or, on a route without auth, ignored. */
export function forgedTokens(secret: string, userId: string): [label: string, token: string][] {
  const claims = { sub: userId, roles: ['user', 'admin'], iss: 'authorworks', aud: 'authorworks-api', iat: 0, nbf: 0, exp: 4_102_444_800 };
  return [
    ['expired token', signAccessToken({ sub: userId, roles: ['user'] }, { secret, now: Date.now() - 24 * 3600_000 })],
    ['token signed with another key', signAccessToken({ sub: userId, roles: ['user', 'admin'] }, { secret: `${secret}-but-not-quite-the-same` })],
    ['alg none token', `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`],
    ['token whose subject is not a uuid', signAccessToken({ sub: "1' OR '1'='1", roles: ['user'] }, { secret })],
    ['garbage token', 'a.b.c'],
  ];
}

/** Path or query text, percent-encoded as it goes on the wire. */
const HOSTILE_TEXT: [label: string, encoded: string][] = [
  ['NUL', 'a%00b'],
  ['lone surrogate (CESU-8 bytes)', 'a%ED%A0%80b'],
  ['invalid percent-encoding', '%E0%A4%A'],
  ['not a uuid', 'not-a-uuid'],
  ['unknown uuid', '00000000-0000-4000-8000-000000000000'],
  ['overlong', 'x'.repeat(5000)],
  ['negative', '-1'],
  ['fraction', '1.5'],
  ['huge number', '1e309'],
  ['past int8', '99999999999999999999'],
  ['SQL', "'%20OR%20'1'%3D'1"],
  ['empty', ''],
];

const cursor = (value: unknown) => base64url(JSON.stringify(value));

const HOSTILE_CURSORS: [label: string, encoded: string][] = [
  ['cursor: not base64url', '!!!'],
  ['cursor: base64url of non-JSON', base64url('{{')],
  ['cursor: impossible date', cursor({ t: '2026-02-30T00:00:00.000000', i: '00000000-0000-4000-8000-000000000000', p: 1, v: 1, o: 0 })],
  ['cursor: numbers past int4 and int8', cursor({ t: 1e300, i: 1, p: 2_147_483_648, v: -5, o: 1e20, createdUs: '99999999999999999999999', id: 'x' })],
  ['cursor: NUL', cursor({ t: '2026-01-01T00:00:00.000000\u0000', i: 'a\u0000', id: 'a\u0000' })],
  ['cursor: deep', base64url(`${'['.repeat(400)}${']'.repeat(400)}`)],
  ['cursor: array', cursor([1, 2, 3])],
];

function validText(parameter: Parameter, resolve: Resolve): string {
  return encodeURIComponent(String(validValue(parameter.schema, resolve, parameter.name)));
}

/**
 * Every hostile case for `operation`, each changing one thing of an otherwise well-formed request
 * (valid path params, the required query, a body valid by the schema, the caller's token). Throws
 * `Unsatisfiable` when no well-formed base can be generated.
 */
export function hostileCases(operation: Operation, resolve: Resolve, caller: { token: string; tokens: [string, string][] }): Case[] {
  const pathValues = Object.fromEntries(operation.pathParams.map((p) => [p.name, validText(p, resolve)]));
  const query = Object.fromEntries(operation.queryParams.filter((p) => p.required).map((p) => [p.name, validText(p, resolve)]));
  const body: unknown = operation.body ? validValue(operation.body, resolve, 'body') : undefined;
  const auth = { authorization: `Bearer ${caller.token}` };
  const json = { 'content-type': 'application/json' };

  const request = (label: string, change: { path?: Record<string, string>; query?: Record<string, string>; body?: string | Uint8Array | null; headers?: Record<string, string>; method?: string }): Case => {
    const entries = Object.entries({ ...query, ...change.query });
    const queryText = entries.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
    const sentBody = change.body === null ? undefined : (change.body ?? (body === undefined ? undefined : JSON.stringify(body)));
    return {
      label,
      method: change.method ?? operation.method,
      path: `${fillPath(operation.template, { ...pathValues, ...change.path })}${queryText ? `?${queryText}` : ''}`,
      headers: { ...auth, ...(sentBody !== undefined ? json : {}), ...change.headers },
      ...(sentBody !== undefined ? { body: sentBody } : {}),
    };
  };

  const kinds: Case[][] = [];
  kinds.push([
    request('no token', { headers: { authorization: '' } }),
    ...caller.tokens.map(([label, token]) => request(label, { headers: { authorization: `Bearer ${token}` } })),
  ]);
  for (const parameter of operation.pathParams) {
    kinds.push(HOSTILE_TEXT.map(([label, text]) => request(`params.${parameter.name}: ${label}`, { path: { [parameter.name]: text } })));
  }
  for (const parameter of operation.queryParams) {
    const texts = parameter.name === 'cursor' ? [...HOSTILE_CURSORS, ...HOSTILE_TEXT.slice(0, 3)] : HOSTILE_TEXT;
    kinds.push([
      ...texts.map(([label, text]) => request(`query.${parameter.name}: ${label}`, { query: { [parameter.name]: text } })),
      request(`query.${parameter.name}: repeated`, { query: { [parameter.name]: `a&${encodeURIComponent(parameter.name)}=b` } }),
    ]);
  }
  if (operation.body) {
    const whole: Case[] = [
      request('body: malformed JSON', { body: '{"a":' }),
      request('body: deep JSON', { body: `${'['.repeat(500)}${']'.repeat(500)}` }),
      request('body: deep object', { body: `${'{"a":'.repeat(300)}1${'}'.repeat(300)}` }),
      request('body: array', { body: '[]' }),
      request('body: null', { body: 'null' }),
      request('body: empty', { body: '' }),
      request('body: none', { body: null }),
      request('body: text/plain', { headers: { 'content-type': 'text/plain' } }),
      request('body: invalid UTF-8', { body: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }),
    ];
    kinds.push(whole);
    const properties = resolve(operation.body).properties ?? {};
    for (const [name, schema] of Object.entries(properties)) {
      const base = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
      kinds.push(hostileValues(schema as JsonSchema, resolve).map(([label, value]) => request(`body.${name}: ${label}`, { body: JSON.stringify({ ...base, [name]: value }) })));
    }
  }
  // Methods Node's HTTP parser knows (it answers any other with an empty 400 before spin-local
  // sees the request; Spin would pass it to the component: see README.md).
  kinds.push(['HEAD', 'OPTIONS', 'PROPFIND', 'LOCK'].map((method) => request(`method ${method}`, { method, body: null })));
  return interleave(kinds, MAX_CASES_PER_OPERATION);
}

/** Takes from each kind in turn, so a capped list still holds some of every kind. */
function interleave(kinds: Case[][], max: number): Case[] {
  const out: Case[] = [];
  for (let round = 0; out.length < max; round++) {
    const before = out.length;
    for (const kind of kinds) if (round < kind.length && out.length < max) out.push(kind[round]!);
    if (out.length === before) break;
  }
  return out;
}

export { Unsatisfiable };

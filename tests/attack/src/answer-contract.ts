// Every answer the attack receives, checked against the operation it called in that service's
// openapi.json: the status must be one the operation documents, and a 2xx body what it declares
// (its JSON Schema, no body, or a non-JSON media type). Schemas are compiled once per operation
// and status, on first use: the attack sends thousands of requests to ~130 operations.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface MediaType {
  schema?: Record<string, unknown>;
}

interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaType>;
}

export interface ContractDocument {
  servers: { url: string }[];
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>;
}

export interface Answer {
  /** The method sent (HEAD is checked against the GET operation, without its body). */
  method: string;
  status: number;
  contentType: string | null;
  /** The body as parsed JSON, or its text when it is not JSON, or null when empty. */
  body: unknown;
}

/** JSON Pointer escaping of one reference token (RFC 6901). */
const pointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** `text/event-stream; charset=utf-8` within `text/event-stream`, anything within `*\/*`, `image/png` within `image/*`. */
function withinRange(contentType: string | null, range: string): boolean {
  if (range === '*/*') return true;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return range.endsWith('/*') ? type.startsWith(range.slice(0, -1)) : type === range;
}

export class AnswerContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  private readonly documents = new Map<string, ContractDocument>();
  private readonly compiled = new Map<string, ValidateFunction>();
  /** How many 2xx JSON bodies were validated against their schema, against how many compiled schemas, in how many ms (all checks). */
  readonly checked = { bodies: 0, schemas: 0, ms: 0 };

  constructor() {
    addFormats(this.ajv);
  }

  /** Registers a service's document under its base (`/v1/users`): references inside it resolve against it. */
  add(document: ContractDocument): void {
    const base = document.servers[0]?.url ?? '';
    this.documents.set(base, document);
    this.ajv.addSchema(document as unknown as Record<string, unknown>, `https://attack.invalid${base}/openapi.json`);
  }

  /**
   * What is wrong with `answer` for the operation `method path` of the service at `base` (path as
   * the document writes it, `/books/{id}`), or null when it is what the operation documents.
   */
  violation(base: string, method: string, path: string, answer: Answer): string | null {
    const started = performance.now();
    try {
      return this.check(base, method, path, answer);
    } finally {
      this.checked.ms += performance.now() - started;
    }
  }

  private check(base: string, method: string, path: string, answer: Answer): string | null {
    const operation = this.documents.get(base)?.paths[path]?.[method.toLowerCase()];
    if (!operation) return `no operation ${method} ${path} in ${base}/openapi.json`;
    const responses = operation.responses ?? {};
    const status = String(answer.status);
    const declared = responses[status] ?? (answer.status >= 500 ? responses['5XX'] : undefined);
    if (declared === undefined) return `status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`;
    // Error statuses are the envelope ($ref); the attack checks the envelope itself.
    if (declared.$ref !== undefined || answer.status >= 300 || answer.method === 'HEAD') return null;
    const media = Object.entries(declared.content ?? {});
    if (media.length === 0) return answer.body === null ? null : `status ${status} declares no body, got ${JSON.stringify(answer.body).slice(0, 120)}`;
    const [range, { schema }] = media[0]!;
    if (!withinRange(answer.contentType, range)) return `status ${status} declares ${range}, got ${answer.contentType ?? 'no content-type'}`;
    if (range !== 'application/json' || schema === undefined) return null;
    const key = `${base} ${method} ${path} ${status}`;
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      const ref = `https://attack.invalid${base}/openapi.json#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}/content/${pointer(range)}/schema`;
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(key, validate);
      this.checked.schemas += 1;
    }
    this.checked.bodies += 1;
    if (validate(answer.body)) return null;
    const error = validate.errors?.[0];
    return `body does not match the ${status} schema: ${error?.instancePath || '(root)'} ${error?.message ?? ''} ${error?.params ? JSON.stringify(error.params) : ''}`.trim();
  }
}

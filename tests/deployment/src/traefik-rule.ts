/**
 * Evaluates Traefik v3 router rules (default v3 syntax) against a request, for the matchers the
 * dynamic configuration uses: Host, Path, PathPrefix, combined with &&, ||, ! and parentheses.
 * Any other matcher throws, so a rule this code cannot judge fails the tests instead of passing.
 */

export interface RuleRequest {
  host: string;
  path: string;
}

type Token = { kind: 'and' | 'or' | 'not' | 'open' | 'close' | 'comma' } | { kind: 'name' | 'string'; value: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const c = rule[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (rule.startsWith('&&', i)) {
      tokens.push({ kind: 'and' });
      i += 2;
    } else if (rule.startsWith('||', i)) {
      tokens.push({ kind: 'or' });
      i += 2;
    } else if (c === '!') {
      tokens.push({ kind: 'not' });
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'open' : c === ')' ? 'close' : 'comma' });
      i++;
    } else if (c === '`' || c === '"') {
      const end = rule.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated string in rule: ${rule}`);
      tokens.push({ kind: 'string', value: rule.slice(i + 1, end) });
      i = end + 1;
    } else {
      const name = /^[A-Za-z]+/.exec(rule.slice(i))?.[0];
      if (!name) throw new Error(`unexpected "${c}" in rule: ${rule}`);
      tokens.push({ kind: 'name', value: name });
      i += name.length;
    }
  }
  return tokens;
}

type Matcher = (request: RuleRequest) => boolean;

const matchers: Record<string, (args: string[]) => Matcher> = {
  // Host matching is case-insensitive; v3's Host takes exactly one host.
  Host: ([host]) => (request) => request.host.toLowerCase() === (host ?? '').toLowerCase(),
  Path: ([path]) => (request) => request.path === path,
  PathPrefix: ([prefix]) => (request) => request.path.startsWith(prefix ?? ''),
};

export function parseRule(rule: string): Matcher {
  const tokens = tokenize(rule);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const expect = (kind: Token['kind']): Token => {
    const token = tokens[position++];
    if (!token || token.kind !== kind) throw new Error(`expected ${kind} at token ${position} in rule: ${rule}`);
    return token;
  };

  function orExpression(): Matcher {
    let left = andExpression();
    while (peek()?.kind === 'or') {
      position++;
      const a = left;
      const b = andExpression();
      left = (request) => a(request) || b(request);
    }
    return left;
  }
  function andExpression(): Matcher {
    let left = unary();
    while (peek()?.kind === 'and') {
      position++;
      const a = left;
      const b = unary();
      left = (request) => a(request) && b(request);
    }
    return left;
  }
  function unary(): Matcher {
    const token = peek();
    if (token?.kind === 'not') {
      position++;
      const inner = unary();
      return (request) => !inner(request);
    }
    if (token?.kind === 'open') {
      position++;
      const inner = orExpression();
      expect('close');
      return inner;
    }
    const name = expect('name') as { kind: 'name'; value: string };
    const make = matchers[name.value];
    if (!make) throw new Error(`unsupported matcher ${name.value} in rule: ${rule}`);
    expect('open');
    const args: string[] = [];
    while (peek()?.kind !== 'close') {
      args.push((expect('string') as { kind: 'string'; value: string }).value);
      if (peek()?.kind === 'comma') position++;
    }
    expect('close');
    if (args.length !== 1) throw new Error(`${name.value} takes one argument in Traefik v3: ${rule}`);
    return make(args);
  }

  const matcher = orExpression();
  if (position !== tokens.length) throw new Error(`unexpected trailing tokens in rule: ${rule}`);
  return matcher;
}

export interface RouterLike {
  rule: string;
  priority?: number | undefined;
}

/**
 * The router Traefik picks for a request: among the routers whose rule matches, the highest
 * priority wins; a router without one has priority = length of its rule, as in Traefik.
 */
export function pickRouter<R extends RouterLike>(routers: Record<string, R>, request: RuleRequest): [string, R] | undefined {
  const matching = Object.entries(routers).filter(([, router]) => parseRule(router.rule)(request));
  matching.sort(([, a], [, b]) => (b.priority ?? b.rule.length) - (a.priority ?? a.rule.length));
  return matching[0];
}

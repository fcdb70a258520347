/**
 * Renders the Go-template subset that traefik/dynamic/*.yml uses, the way Traefik's file provider
 * does before parsing (text/template with the Sprig functions). Only the functions the files are
 * allowed to use are implemented; anything else throws, so a new construct in the YAML fails the
 * tests until it is understood here rather than being checked wrongly.
 */

type TemplateFunction = (args: string[], piped: string | undefined) => string;

/** Go's regexp.QuoteMeta: escapes every character that is special in RE2 syntax. */
function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);
}

function arity(name: string, args: string[], expected: number): void {
  if (args.length !== expected) throw new Error(`template function ${name} takes ${expected} argument(s), got ${args.length}`);
}

function templateFunctions(env: Readonly<Record<string, string>>): Record<string, TemplateFunction> {
  return {
    env: (args, piped) => {
      if (piped !== undefined) throw new Error('env cannot take piped input');
      arity('env', args, 1);
      return env[args[0] as string] ?? '';
    },
    // Sprig: default DEFAULT GIVEN returns GIVEN unless it is empty.
    default: (args, piped) => {
      const all = piped === undefined ? args : [...args, piped];
      arity('default', all, 2);
      return all[1] === '' ? (all[0] as string) : (all[1] as string);
    },
    nospace: (args, piped) => {
      const all = piped === undefined ? args : [...args, piped];
      arity('nospace', all, 1);
      return (all[0] as string).replace(/\s+/g, '');
    },
    regexQuoteMeta: (args, piped) => {
      const all = piped === undefined ? args : [...args, piped];
      arity('regexQuoteMeta', all, 1);
      return quoteMeta(all[0] as string);
    },
    // Sprig: replace OLD NEW SOURCE replaces every OLD.
    replace: (args, piped) => {
      const all = piped === undefined ? args : [...args, piped];
      arity('replace', all, 3);
      return (all[2] as string).split(all[0] as string).join(all[1] as string);
    },
  };
}

/** Splits one command (`name "arg" "arg"`) into its words; only string literals are arguments. */
function parseCommand(command: string, known: readonly string[]): { name: string; args: string[] } {
  const words = [...command.trim().matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)];
  const [first, ...rest] = words;
  if (!first || first[2] === undefined) throw new Error(`template command must start with a function name: ${command}`);
  if (!known.includes(first[2])) throw new Error(`unsupported template function "${first[2]}" (supported: ${known.join(', ')})`);
  const args = rest.map((word) => {
    if (word[1] === undefined) throw new Error(`only string literal arguments are supported: ${command}`);
    return JSON.parse(`"${word[1]}"`) as string;
  });
  return { name: first[2], args };
}

/** Splits an action on pipes that are outside string literals. */
function splitPipeline(action: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inString = false;
  for (let i = 0; i < action.length; i++) {
    const c = action[i] as string;
    if (inString && c === '\\') {
      current += c + (action[++i] ?? '');
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '|' && !inString) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

export function renderTraefikTemplate(text: string, env: Readonly<Record<string, string>>): string {
  const functions = templateFunctions(env);
  return text.replace(/\{\{(-?)([\s\S]*?)(-?)\}\}/g, (_match, trimLeft: string, action: string, trimRight: string) => {
    if (trimLeft || trimRight) throw new Error(`whitespace-trimming actions are not supported: {{${trimLeft}${action}${trimRight}}}`);
    let value: string | undefined;
    for (const stage of splitPipeline(action)) {
      const { name, args } = parseCommand(stage, Object.keys(functions));
      value = (functions[name] as TemplateFunction)(args, value);
    }
    return value ?? '';
  });
}

/** Every environment variable a template reads with env "NAME". */
export function templateEnvNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{[^}]*?\benv\s+"([A-Za-z0-9_]+)"/g)].map((m) => m[1] as string))];
}

/**
 * `allowed_outbound_hosts` as Spin v4.0.2 interprets it (crates/outbound-networking-config/src/
 * allowed_hosts.rs): each entry is `scheme://host[:port]`. The scheme is `*` or letters only; the
 * host is `*`, `*.suffix` (domains only), `self` / `self.alt` (relative requests), an IP address or
 * CIDR block, or a domain; the port is `*`, a number or a range `a..b` (end excluded), and without
 * one the scheme's well-known port — only postgres, mysql, redis, mqtt, http and https have one, so
 * `rediss://h` or `*://h` is an error. `{{ variable }}` templates are expanded with the
 * application's variables at start-up. `insecure:allow-all` is rejected. A component may reach
 * another through `http://<id>.spin.internal` only when an entry allows that host too.
 */
import { BlockList, isIP } from 'node:net';

/** crates/outbound-networking-config/src/allowed_hosts.rs `well_known_port`. */
const wellKnownPorts: Record<string, number> = {
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
  mqtt: 1883,
  http: 80,
  https: 443,
};

export interface OutboundTarget {
  scheme: string;
  /** Lowercased host; `self` for a request to the app itself (a relative URL). */
  host: string;
  /** The URL's explicit port, else the scheme's well-known one. */
  port: number | undefined;
}

type HostRule = { kind: 'any' } | { kind: 'self' } | { kind: 'subdomain'; suffix: string } | { kind: 'literal'; host: string } | { kind: 'cidr'; block: BlockList };

interface AllowedEntry {
  scheme: string;
  host: HostRule;
  ports: { from: number; to: number } | 'any';
}

export class OutboundHostError extends Error {}

const formatHelp =
  'Hosts must be in the form <scheme>://<host>[:<port>], with \'*\' wildcards allowed for each.\nIf you intended to allow all outbound networking, you can use \'*://*:*\' - this will obviate all network sandboxing.';

function parseHost(raw: string): HostRule {
  let host = raw.trim().toLowerCase();
  if (host === '*') return { kind: 'any' };
  if (host === 'self' || host === 'self.alt') return { kind: 'self' };
  if (host.startsWith('{')) throw new OutboundHostError('host lists are not yet supported');
  const cidr = /^([^/]+)(?:\/(\d+))?$/.exec(host.replace(/^\[|\]$/g, ''));
  const address = cidr?.[1] ?? '';
  const family = isIP(address);
  if (cidr && family !== 0) {
    const block = new BlockList();
    const prefix = cidr[2] === undefined ? (family === 4 ? 32 : 128) : Number(cidr[2]);
    block.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'cidr', block };
  }
  host = host.replace(/\/+$/, '');
  if (host.includes('/')) throw new OutboundHostError('must not include a path');
  if (host.startsWith('*.')) {
    if (host.slice(2).includes('*')) throw new OutboundHostError('wildcards are allowed only as prefixes');
    return { kind: 'subdomain', suffix: host.slice(1) };
  }
  if (host.includes('*')) throw new OutboundHostError('wildcards are allowed only as subdomains');
  if (host === '') throw new OutboundHostError('empty host');
  return { kind: 'literal', host };
}

/** Parses one manifest entry (templates already expanded); throws with Spin's reason. */
export function parseAllowedHost(entry: string): AllowedEntry {
  const url = entry.trim();
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) {
    if (['*', ':', '', '?'].includes(url)) throw new OutboundHostError(`${JSON.stringify(url)} is not an allowed outbound host format.\n${formatHelp}`);
    throw new OutboundHostError(`${JSON.stringify(url)} does not contain a scheme (e.g., 'http://' or '*://')`);
  }
  const scheme = url.slice(0, schemeEnd);
  const rest = url.slice(schemeEnd + 3);
  const colon = rest.lastIndexOf(':');
  const host = colon < 0 ? rest : rest.slice(0, colon);
  let port = colon < 0 ? '' : rest.slice(colon + 1);
  const slash = port.indexOf('/');
  if (slash >= 0) {
    if (port.slice(slash + 1) !== '') throw new OutboundHostError(`${JSON.stringify(url)} has a path but is not allowed to`);
    port = port.slice(0, slash);
  }
  let ports: AllowedEntry['ports'];
  if (port === '') {
    const known = wellKnownPorts[scheme];
    if (known === undefined) throw new OutboundHostError(`Invalid allowed host port "": no port was provided and the scheme ${JSON.stringify(scheme)} does not have a known default port number`);
    ports = { from: known, to: known };
  } else if (port === '*') ports = 'any';
  else {
    const range = /^(\d+)(?:\.\.(\d+))?$/.exec(port);
    if (!range) throw new OutboundHostError(`Invalid allowed host port ${JSON.stringify(port)}`);
    const from = Number(range[1]);
    // Rust's `start..end` range: the end is excluded.
    ports = range[2] === undefined ? { from, to: from } : { from, to: Number(range[2]) - 1 };
  }
  if (scheme !== '*' && !/^[a-z]+$/i.test(scheme)) throw new OutboundHostError(`Invalid allowed host scheme ${JSON.stringify(scheme)}: only alphabetic characters are allowed`);
  let hostRule: HostRule;
  try {
    hostRule = parseHost(host);
  } catch (error) {
    throw new OutboundHostError(`Invalid allowed host ${JSON.stringify(host)}: ${(error as Error).message}`);
  }
  return { scheme, host: hostRule, ports };
}

/**
 * The manifest's entries as Spin uses them: `{{ name }}` expanded with the application's
 * variables, then every entry parsed; a bad entry stops start-up (Spin validates them when it
 * loads the app). `insecure:allow-all` was Spin 1's and is refused with Spin's message.
 */
export function resolveAllowedHosts(entries: readonly string[], variables: Record<string, string>): string[] {
  if (entries.length === 1 && entries[0] === 'insecure:allow-all') {
    throw new OutboundHostError("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'");
  }
  return entries.map((entry) => {
    const expanded = entry.replace(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g, (_all, name: string) => {
      const value = variables[name.toLowerCase()];
      if (value === undefined) throw new OutboundHostError(`allowed_outbound_hosts entry ${JSON.stringify(entry)} refers to variable "${name}", which has no value`);
      return value;
    });
    parseAllowedHost(expanded);
    return expanded;
  });
}

export function targetOf(url: string): OutboundTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : wellKnownPorts[scheme];
  return { scheme, host, port };
}

function hostAllows(rule: HostRule, host: string): boolean {
  const family = isIP(host);
  switch (rule.kind) {
    case 'any':
      return true;
    case 'subdomain':
      return family === 0 && host.endsWith(rule.suffix);
    case 'literal':
      return host === rule.host;
    case 'cidr':
      return family !== 0 && rule.block.check(host, family === 4 ? 'ipv4' : 'ipv6');
    case 'self':
      return false;
  }
}

function entryAllows(entry: AllowedEntry, target: OutboundTarget): boolean {
  if (entry.scheme !== '*' && entry.scheme !== target.scheme) return false;
  // A relative request is allowed by a `self` host or by `*` (`HostConfig::allows_relative`),
  // whatever the port.
  if (target.host === 'self') return entry.host.kind === 'self' || entry.host.kind === 'any';
  if (!hostAllows(entry.host, target.host)) return false;
  if (entry.ports === 'any') return true;
  return target.port !== undefined && target.port >= entry.ports.from && target.port <= entry.ports.to;
}

/** Whether a component with these (resolved) entries may reach `url` (`self` target for relative URLs). */
export function isAllowedOutbound(allowed: readonly string[], url: string | OutboundTarget, _componentId?: string): boolean {
  const target = typeof url === 'string' ? targetOf(url) : url;
  if (!target) return false;
  return allowed.some((entry) => {
    try {
      return entryAllows(parseAllowedHost(entry), target);
    } catch {
      return false;
    }
  });
}

/** The id of the component a `<id>.spin.internal` host names, if it does. */
export function internalComponentId(host: string): string | undefined {
  const match = /^([a-z0-9-]+)\.spin\.internal$/i.exec(host);
  return match ? match[1]?.toLowerCase() : undefined;
}

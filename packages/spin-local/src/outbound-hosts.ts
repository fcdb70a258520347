/**
 * `allowed_outbound_hosts` as Spin interprets it: each entry is `scheme://host[:port]`, where the
 * scheme may be `*`, the host `*`, `*.suffix` or `self`, and the port `*`, a number or a range
 * `a..b`; without a port the scheme's well-known port is implied. A component may reach another
 * through `http://<id>.spin.internal` only when an entry allows that host too.
 */

const defaultPorts: Record<string, number> = {
  http: 80,
  https: 443,
  redis: 6379,
  rediss: 6379,
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  mqtt: 1883,
};

export interface OutboundTarget {
  scheme: string;
  /** Lowercased host; `self` for a request to the app itself (a relative URL). */
  host: string;
  port: number | undefined;
}

interface AllowedEntry {
  scheme: string;
  host: string;
  ports: { from: number; to: number } | 'any' | 'default';
}

export class OutboundHostError extends Error {}

/** Parses one manifest entry; throws naming the entry when it is not valid Spin syntax. */
export function parseAllowedHost(entry: string): AllowedEntry {
  if (entry === 'insecure:allow-all') return { scheme: '*', host: '*', ports: 'any' };
  const match = /^([a-z*][a-z0-9+.*-]*):\/\/([^/:]+)(?::([^/]+))?\/?$/i.exec(entry.trim());
  if (!match) throw new OutboundHostError(`invalid allowed_outbound_hosts entry ${JSON.stringify(entry)}: expected scheme://host[:port]`);
  const [, scheme = '', host = '', port] = match;
  let ports: AllowedEntry['ports'] = 'default';
  if (port === '*') ports = 'any';
  else if (port !== undefined) {
    const range = /^(\d+)(?:\.\.(\d+))?$/.exec(port);
    if (!range) throw new OutboundHostError(`invalid port in allowed_outbound_hosts entry ${JSON.stringify(entry)}`);
    const from = Number(range[1]);
    ports = { from, to: range[2] ? Number(range[2]) - 1 : from };
  }
  return { scheme: scheme.toLowerCase(), host: host.toLowerCase(), ports };
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
  const port = parsed.port ? Number(parsed.port) : defaultPorts[scheme];
  return { scheme, host, port };
}

function entryAllows(entry: AllowedEntry, target: OutboundTarget): boolean {
  if (entry.scheme !== '*' && entry.scheme !== target.scheme) return false;
  const hostOk =
    entry.host === '*' ||
    entry.host === target.host ||
    (entry.host.startsWith('*.') && target.host.endsWith(entry.host.slice(1)));
  if (!hostOk) return false;
  // `*` as host never stands for the app itself, and `self` only for it.
  if (target.host === 'self' && entry.host !== 'self') return false;
  if (entry.ports === 'any') return true;
  if (entry.ports === 'default') {
    const implied = entry.scheme === '*' ? target.port : defaultPorts[entry.scheme];
    return target.host === 'self' || target.port === implied;
  }
  return target.port !== undefined && target.port >= entry.ports.from && target.port <= entry.ports.to;
}

/** Whether a component with these entries may reach `url` (`self` target for relative URLs). */
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

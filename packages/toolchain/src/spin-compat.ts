/**
 * What `spin up` (Spin v4.0.2) links, as an allow-list for the imports and exports of our built
 * components. There is no Spin binary here, so each entry cites the source that makes Spin accept
 * it: spinframework/spin at tag v4.0.2 and the wasmtime it pins (Cargo.toml:205-207 there:
 * wasmtime, wasmtime-wasi and wasmtime-wasi-http 44.0.0), i.e. bytecodealliance/wasmtime v44.0.0.
 *
 * How versions match (wasmtime v44.0.0):
 * - crates/environ/src/component/names.rs:7-46 (`NameMap`) and :185-223 (`alternate_lookup_key`):
 *   `a:b/c@0.2.N` is looked up on the track `a:b/c@0.2`, so an import or export at any 0.2.N
 *   finds the host's 0.2.M, newer or older; a pre-release (`-rc-…`) matches only itself.
 * - crates/wasmtime/src/runtime/component/linker.rs:27-56 states the rule for imports in both
 *   directions, and :163-181 (`typecheck`) looks every import up that way and type-checks it.
 * - crates/wasmtime/src/runtime/component/matching.rs:43-45 and :147-166: an imported instance
 *   need not be defined when it exports only (non-resource) types — so type-only interfaces such
 *   as `rdbms-types` and `redis-types` need no host definition.
 * - wasmtime-wasi 44 defines WASI at 0.2.6: crates/wasi/src/p2/wit/deps/{io,clocks,cli,random,
 *   filesystem}.wit:1 (`package wasi:io@0.2.6;` …), crates/wasi-http/wit/deps/http.wit:1.
 *
 * - crates/wasmtime/src/runtime/component/component.rs:841-859 (`lookup_export_index`): a
 *   component's exports are looked up through the same `NameMap`, so the trigger finds our
 *   `incoming-handler@0.2.10` when it asks for the 0.2.6 one.
 *
 * Our components import wasi:http at 0.2.10 (what componentize-js 0.23.0's engine was built with)
 * and the rest of WASI at 0.2.12 (jco 1.35's preview1 adapter, which componentize-js links in;
 * the component takes the newer of two versions on a track): all on the 0.2 track, so all resolve
 * to the host's 0.2.6. Names alone do not make an import link: see `jsImportUse` and its test for
 * the function-by-function check.
 */

const SPIN = 'spin v4.0.2';
const WASMTIME = 'wasmtime v44.0.0';

/** How an entry's version is matched. */
type VersionRule = { exact: string } | { track: '0.2' } | { unversioned: true };

export interface SpinLinkEntry {
  direction: 'import' | 'export';
  /** `namespace:package/interface`, without the version. */
  name: string;
  version: VersionRule;
  /** Files and lines of Spin's (or its wasmtime's) source that make Spin accept it. */
  evidence: string[];
}

const wasiFactor = (lines: string) => `${SPIN} crates/factor-wasi/src/lib.rs:${lines} (WasiFactor::init links wasmtime_wasi::p2 bindings)`;
const wasiPackage = (pkg: string) => `${WASMTIME} crates/wasi/src/p2/wit/deps/${pkg}.wit:1 (host defines wasi:${pkg}@0.2.6)`;
const semverTrack = `${WASMTIME} crates/environ/src/component/names.rs:185-223 + runtime/component/linker.rs:27-56 (0.2.N resolves on the 0.2 track)`;

const wasi = (name: string, lines: string, pkg: string): SpinLinkEntry => ({
  direction: 'import',
  name,
  version: { track: '0.2' },
  evidence: [wasiFactor(lines), wasiPackage(pkg), semverTrack],
});

const wasiHttp = (name: string, lines: string, binding: string): SpinLinkEntry => ({
  direction: 'import',
  name,
  version: { track: '0.2' },
  evidence: [
    `${SPIN} crates/factor-outbound-http/src/wasi.rs:${lines} (wasmtime_wasi_http::p2 ${binding}::add_to_linker)`,
    `${WASMTIME} crates/wasi-http/wit/deps/http.wit:1 (host defines wasi:http@0.2.6)`,
    semverTrack,
  ],
});

/** A Spin 2.0 interface linked by its factor through `spin_world::v2::<name>::add_to_linker`. */
const spin2 = (name: string, place: string): SpinLinkEntry => ({
  direction: 'import',
  name: `fermyon:spin/${name}`,
  version: { exact: '2.0.0' },
  evidence: [`${SPIN} crates/${place} (spin_world::v2::${name.replace('-', '_')}::add_to_linker)`],
});

const typeOnly = `${WASMTIME} crates/wasmtime/src/runtime/component/matching.rs:147-166 (an imported instance of types only needs no definition)`;

export const SPIN_V4_LINKS: readonly SpinLinkEntry[] = [
  // WASI 0.2 (what the JS engine itself uses: streams, clocks, stdio, random, no-op filesystem).
  wasi('wasi:io/error', '264', 'io'),
  wasi('wasi:io/poll', '265', 'io'),
  wasi('wasi:io/streams', '266', 'io'),
  wasi('wasi:random/random', '267', 'random'),
  wasi('wasi:random/insecure', '269', 'random'),
  wasi('wasi:random/insecure-seed', '271-273', 'random'),
  wasi('wasi:clocks/wall-clock', '242', 'clocks'),
  wasi('wasi:clocks/monotonic-clock', '246-248', 'clocks'),
  wasi('wasi:filesystem/types', '252-254', 'filesystem'),
  wasi('wasi:filesystem/preopens', '258-260', 'filesystem'),
  wasi('wasi:cli/environment', '279', 'cli'),
  wasi('wasi:cli/exit', '277', 'cli'),
  wasi('wasi:cli/stdin', '281', 'cli'),
  wasi('wasi:cli/stdout', '283', 'cli'),
  wasi('wasi:cli/stderr', '285', 'cli'),
  wasi('wasi:cli/terminal-input', '287', 'cli'),
  wasi('wasi:cli/terminal-output', '289', 'cli'),
  wasi('wasi:cli/terminal-stdin', '291', 'cli'),
  wasi('wasi:cli/terminal-stdout', '293', 'cli'),
  wasi('wasi:cli/terminal-stderr', '295', 'cli'),
  // wasi:http (the engine's fetch and Request/Response types).
  wasiHttp('wasi:http/types', '342-346', 'types'),
  wasiHttp('wasi:http/outgoing-handler', '339-341', 'outgoing_handler'),
  // Spin 2.0 host interfaces.
  spin2('variables', 'factor-variables/src/lib.rs:35'),
  spin2('key-value', 'factor-key-value/src/lib.rs:49'),
  spin2('redis', 'factor-outbound-redis/src/lib.rs:34'),
  spin2('postgres', 'factor-outbound-pg/src/lib.rs:27'),
  {
    direction: 'import',
    name: 'fermyon:spin/rdbms-types',
    version: { exact: '2.0.0' },
    evidence: [`${SPIN} wit/deps/spin@2.0.0/rdbms-types.wit (types only; crates/world/src/lib.rs:11 includes fermyon:spin/platform@2.0.0)`, typeOnly],
  },
  {
    direction: 'import',
    name: 'fermyon:spin/redis-types',
    version: { unversioned: true },
    evidence: [`${SPIN} wit/deps/spin@unversioned/redis-types.wit (types only; crates/world/src/lib.rs:10 includes fermyon:spin/host)`, typeOnly],
  },
  // What the triggers call.
  {
    direction: 'export',
    name: 'wasi:http/incoming-handler',
    version: { track: '0.2' },
    evidence: [
      `${SPIN} crates/http/src/trigger.rs:36-37 (WASI_HTTP_EXPORT_0_2_PREFIX "wasi:http/incoming-handler@0.2") and :47-48 (ProxyIndices::new → HandlerType::Wasi0_2)`,
      `${SPIN} crates/trigger-http/src/wasi.rs:101-104 (call_handle on wasi_http_incoming_handler)`,
      `${WASMTIME} crates/wasmtime/src/runtime/component/component.rs:841-859 + crates/environ/src/component/names.rs:105-126 (exports are looked up in a NameMap: 0.2.10 is found on the 0.2 track)`,
    ],
  },
  {
    direction: 'export',
    name: 'fermyon:spin/inbound-redis',
    version: { unversioned: true },
    evidence: [
      `${SPIN} crates/trigger-redis/src/lib.rs:10 (spin_world::exports::fermyon::spin::inbound_redis as v1), :254-261 (v1::GuestIndices::new → HandlerType::V1), :217-225 (call_handle_message)`,
      `${SPIN} wit/deps/spin@unversioned/world.wit:7 (export inbound-redis)`,
    ],
  },
];

export interface WorldItem {
  direction: 'import' | 'export';
  name: string;
  version: string | null;
}

/** The `import x;` / `export x;` lines of a world printed by jco's `componentWit`. */
export function worldItems(wit: string): WorldItem[] {
  const items: WorldItem[] = [];
  for (const match of wit.matchAll(/^\s*(import|export)\s+([a-z0-9-]+:[a-z0-9-]+\/[a-z0-9-]+)(?:@([^;\s]+))?;/gm)) {
    items.push({ direction: match[1] as WorldItem['direction'], name: match[2] as string, version: match[3] ?? null });
  }
  return items;
}

function versionMatches(rule: VersionRule, version: string | null): boolean {
  if ('unversioned' in rule) return version === null;
  if ('exact' in rule) return version === rule.exact;
  // The 0.2 track: 0.2.N without a pre-release (wasmtime's alternate_lookup_key).
  return version !== null && /^0\.2\.\d+$/.test(version);
}

/** The entry that makes Spin v4.0.2 accept `item`, or undefined. */
export function spinLinkFor(item: WorldItem): SpinLinkEntry | undefined {
  return SPIN_V4_LINKS.find((entry) => entry.direction === item.direction && entry.name === item.name && versionMatches(entry.version, item.version));
}

const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const pascal = (kebab: string) => camel(kebab).replace(/^[a-z]/, (c) => c.toUpperCase());

/**
 * The names a WIT folder declares, as jco names them in JS: per interface (`wasi:io/streams`) its
 * functions and resources (`getStdout`, `OutputStream`) and each resource's methods, statics and
 * constructor. Reads `package …;`, `interface x {`, `resource y {` and `name: [static] func`.
 */
export function witNames(files: readonly string[]): Map<string, { members: Set<string>; methods: Set<string> }> {
  const interfaces = new Map<string, { members: Set<string>; methods: Set<string> }>();
  for (const text of files) {
    const pkg = /^package\s+([a-z0-9-]+:[a-z0-9-]+)(?:@[^;\s]+)?;/m.exec(text)?.[1];
    if (!pkg) continue;
    let current: { members: Set<string>; methods: Set<string> } | undefined;
    let depth = 0;
    let inResource = false;
    for (const line of text.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim())) {
      const iface = /^interface\s+([a-z0-9-]+)\s*\{/.exec(line);
      if (iface && depth === 0) {
        const name = `${pkg}/${iface[1]}`;
        current = interfaces.get(name) ?? { members: new Set(), methods: new Set() };
        interfaces.set(name, current);
      }
      const resource = /^resource\s+%?([a-z0-9-]+)/.exec(line);
      if (resource && current) {
        current.members.add(pascal(resource[1]!));
        inResource = line.endsWith('{');
      }
      // `%name` escapes a WIT keyword (`%stream`).
      const func = /^%?([a-z][a-z0-9-]*)\s*:\s*(static\s+)?func\b/.exec(line);
      if (func && current) (inResource ? current.methods : current.members).add(camel(func[1]!));
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (depth <= 1) inResource = false;
      if (depth === 0) current = undefined;
    }
  }
  return interfaces;
}

export interface JsImportUse {
  /** Per unversioned interface, the names the glue takes from the import object. */
  members: Map<string, string[]>;
  /** Resource methods and statics the glue calls. */
  methods: Set<string>;
}

/** What jco 1.4's instantiation glue uses of each import (`const { a, B: B$1 } = imports['x'];`). */
export function jsImportUse(glue: string): JsImportUse {
  const members = new Map<string, string[]>();
  const classes = new Set<string>();
  for (const match of glue.matchAll(/const \{([^}]*)\} = imports\['([^']+)'\];/g)) {
    const names = match[1]!.split(',').map((part) => part.split(':')[0]!.trim()).filter(Boolean);
    members.set(match[2]!, names);
    for (const name of names) if (/^[A-Z]/.test(name)) classes.add(name);
  }
  const methods = new Set<string>();
  for (const match of glue.matchAll(/\brsc\d*\.([a-zA-Z]\w*)\(/g)) methods.add(match[1]!);
  for (const match of glue.matchAll(/\b([A-Z]\w*)(?:\$\d+)?\.([a-z]\w*)\(/g)) if (classes.has(match[1]!)) methods.add(match[2]!);
  return { members, methods };
}

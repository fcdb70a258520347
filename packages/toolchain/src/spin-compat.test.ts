// Every import and export of every built component must be one Spin v4.0.2 links (the evidence
// is in spin-compat.ts). `pnpm test` builds the components first; run `pnpm build` before running
// this project alone.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { loadTranspiled } from '@authorworks/spin-local';
import { describe, expect, it } from 'vitest';
import { listComponentTargets } from './components.ts';
import { jsImportUse, spinLinkFor, witNames, worldItems, type WorldItem } from './spin-compat.ts';
import { REQUIRED_EXPORT, sdkWitTexts } from './spin-wit.ts';
import { findRepoRoot, listServiceDirs } from './workspace.ts';

const root = findRepoRoot(import.meta.dirname);
const targets = (await Promise.all((await listServiceDirs(root)).map(listComponentTargets))).flat();
const show = (item: WorldItem) => `${item.direction} ${item.name}${item.version ? `@${item.version}` : ''}`;

describe('what Spin v4.0.2 links', () => {
  it('finds every service component', () => {
    expect(targets.map((t) => t.id)).toEqual(expect.arrayContaining(['user-api', 'content-api', 'content-worker']));
  });

  for (const target of targets) {
    it(`${target.id}: every import and export is on the allow-list`, async () => {
      expect(existsSync(target.outFile), `${relative(root, target.outFile)} is missing: run pnpm build`).toBe(true);
      const items = worldItems(await componentWit(await readFile(target.outFile)));
      const unaccepted = items.filter((item) => !spinLinkFor(item)).map(show);
      expect(unaccepted).toEqual([]);
      // Exactly the export the trigger calls, and the Spin APIs the kit uses.
      expect(items.filter((item) => item.direction === 'export').map(show)).toEqual([`export ${REQUIRED_EXPORT[target.world]}`]);
      expect(items.map(show)).toContain('import fermyon:spin/variables@2.0.0');
    });
  }
});

/**
 * Interfaces are matched by name, but instantiation also type-checks each imported function
 * (wasmtime linker.rs:163-181). The host defines WASI 0.2.6; every function, resource and method
 * the components use must already exist in WASI 0.2.0 (the SDK's copy), which 0.2.6 keeps
 * (0.2.x only adds). Read from the jco glue spin-local runs, which names exactly what is used.
 */
describe('what the components call exists in WASI 0.2.0 and Spin 2.0', () => {
  const known = sdkWitTexts().then(witNames);

  for (const target of targets) {
    it(`${target.id}: every imported function and method`, async () => {
      const wit = await known;
      const { jsFile } = await loadTranspiled(target.outFile, `${root}/.cache/spin-local`, '1.4');
      const use = jsImportUse(await readFile(jsFile, 'utf8'));
      expect(use.members.get('wasi:io/streams')).toContain('OutputStream');
      const missing: string[] = [];
      for (const [iface, names] of use.members) {
        const declared = wit.get(iface);
        for (const name of names) if (!declared?.members.has(name)) missing.push(`${iface}#${name}`);
      }
      const allMethods = new Set([...wit.values()].flatMap((entry) => [...entry.methods]));
      expect(use.methods.size).toBeGreaterThan(10);
      for (const method of use.methods) if (!allMethods.has(method)) missing.push(`method ${method}`);
      expect(missing).toEqual([]);
    });
  }
});

describe('spinLinkFor', () => {
  const item = (text: string) => worldItems(`world root {\n  ${text};\n}`)[0]!;

  it('accepts WASI on the 0.2 track, older or newer than the host, and Spin 2.0 interfaces', () => {
    expect(spinLinkFor(item('import wasi:io/streams@0.2.12'))?.evidence.join(' ')).toContain('factor-wasi/src/lib.rs:266');
    expect(spinLinkFor(item('import wasi:http/types@0.2.0'))).toBeDefined();
    expect(spinLinkFor(item('import fermyon:spin/postgres@2.0.0'))).toBeDefined();
    expect(spinLinkFor(item('export fermyon:spin/inbound-redis'))).toBeDefined();
  });

  it('refuses other tracks, pre-releases, other Spin versions and interfaces not on the list', () => {
    expect(spinLinkFor(item('import wasi:io/streams@0.3.0'))).toBeUndefined();
    expect(spinLinkFor(item('import wasi:io/streams@0.2.0-rc-2023-10-18'))).toBeUndefined();
    expect(spinLinkFor(item('import fermyon:spin/postgres@3.0.0'))).toBeUndefined();
    expect(spinLinkFor(item('import wasi:sockets/tcp@0.2.3'))).toBeUndefined();
    expect(spinLinkFor(item('import fermyon:spin/inbound-redis'))).toBeUndefined();
  });
});

describe('witNames and jsImportUse', () => {
  const wit = witNames([
    'package wasi:io@0.2.0;\ninterface streams {\n  resource output-stream {\n    check-write: func() -> u64;\n    %stream: func();\n  }\n  get-thing: func();\n}\n',
  ]);

  it('reads functions, resources and methods per interface, named as jco names them', () => {
    expect([...wit.get('wasi:io/streams')!.members].sort()).toEqual(['OutputStream', 'getThing']);
    expect([...wit.get('wasi:io/streams')!.methods]).toEqual(['checkWrite', 'stream']);
  });

  it('reads what the glue takes from each import and which methods it calls', () => {
    const use = jsImportUse("const { OutputStream, getThing: getThing$1 } = imports['wasi:io/streams'];\nrsc0.checkWrite();\nOutputStream.open(x);\n");
    expect(use.members.get('wasi:io/streams')).toEqual(['OutputStream', 'getThing']);
    expect([...use.methods].sort()).toEqual(['checkWrite', 'open']);
  });
});

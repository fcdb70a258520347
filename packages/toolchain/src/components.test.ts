import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listComponentTargets } from './components.ts';

function service(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'toolchain-service-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const manifest = `spin_manifest_version = 2
[application]
name = "s"
trigger.redis.address = "redis://127.0.0.1:6379"
[[trigger.http]]
route = "/v1/s/..."
component = "s-api"
[[trigger.redis]]
channel = "s-events"
component = "s-worker"
[component.s-api]
source = "dist/s-api.wasm"
[component.s-worker]
source = "dist/s-worker.wasm"
`;

describe('listComponentTargets', () => {
  it('takes the world from the trigger and the entry from the convention', async () => {
    const dir = service({ 'spin.toml': manifest, 'src/index.ts': '', 'src/worker.ts': '' });
    const targets = await listComponentTargets(dir);
    expect(targets.map(({ id, world, entry, outFile }) => ({ id, world, entry, outFile }))).toEqual([
      { id: 's-api', world: 'spin-http', entry: join(dir, 'src/index.ts'), outFile: join(dir, 'dist/s-api.wasm') },
      { id: 's-worker', world: 'spin-redis', entry: join(dir, 'src/worker.ts'), outFile: join(dir, 'dist/s-worker.wasm') },
    ]);
  });

  it('lets package.json name another entry', async () => {
    const dir = service({
      'spin.toml': manifest,
      'src/index.ts': '',
      'src/events.ts': '',
      'package.json': JSON.stringify({ authorworks: { entries: { 's-worker': 'src/events.ts' } } }),
    });
    const targets = await listComponentTargets(dir);
    expect(targets.find((t) => t.id === 's-worker')?.entry).toBe(join(dir, 'src/events.ts'));
  });

  it('says which entry is missing and how to name another', async () => {
    const dir = service({ 'spin.toml': manifest, 'src/index.ts': '' });
    await expect(listComponentTargets(dir)).rejects.toThrow(/component\.s-worker.*src\/worker\.ts does not exist/);
  });
});

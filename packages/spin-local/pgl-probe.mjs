import { readFileSync, cpSync, rmSync } from 'node:fs';
const { PGlite } = await import('@electric-sql/pglite');
const mode = process.argv[2];
const dist = '/work/wt-start-memory/node_modules/.pnpm/@electric-sql+pglite@0.5.17/node_modules/@electric-sql/pglite/dist';
const opts = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=4MB'] };
if (mode.includes('mod')) opts.pgliteWasmModule = await WebAssembly.compile(readFileSync(`${dist}/pglite.wasm`));
if (mode.includes('bundle')) opts.fsBundle = new Blob([readFileSync(`${dist}/pglite.data`)]);
const names = ['authorworks_users', 'authorworks_content', 'authorworks_audio', 'authorworks_video', 'authorworks_editor', 'authorworks_graphics', 'authorworks_messaging', 'authorworks_storage'];
// copied by the caller
const c0 = process.cpuUsage(); const t0 = performance.now();
const cpu = [];
for (const name of names) {
  const c = process.cpuUsage();
  const db = await PGlite.create({ dataDir: `/tmp/pglprobe/${name}`, ...opts });
  await db.query('select 1');
  const cu = process.cpuUsage(c); cpu.push(((cu.user + cu.system) / 1000).toFixed(0));
}
const cu = process.cpuUsage(c0);
console.log(mode, 'total', (performance.now() - t0).toFixed(0), 'ms wall', ((cu.user + cu.system) / 1000).toFixed(0), 'ms cpu; each', cpu.join(' '), 'rss', (process.memoryUsage().rss / 1048576).toFixed(0));

process.exit(0);

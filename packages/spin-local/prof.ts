import { startSpinApp, MemoryLogger } from './src/index.ts';
const t0 = performance.now();
const app = await startSpinApp({ manifest: '/work/main/spin-all.toml', logger: new MemoryLogger(), backends: { dataDir: null }, env: { SPIN_VARIABLE_AUTH_SECRET: 'x' }, threads: Number(process.env.THREADS ?? 2), maxPrepared: Number(process.env.PREP ?? 2) });
const t1 = performance.now();
console.log('start', (t1 - t0).toFixed(0), 'rss', (process.memoryUsage().rss / 1e6).toFixed(0));
for (const round of [1, 2, 3]) {
  for (const s of ['users', 'content', 'storage', 'editor']) {
    const t = performance.now();
    const r = await fetch(`${app.url}/v1/${s}/health`);
    await r.text();
    process.stdout.write(`${s}:${r.status}:${(performance.now() - t).toFixed(0)} `);
  }
  console.log(' rss', (process.memoryUsage().rss / 1e6).toFixed(0));
  await new Promise((r) => setTimeout(r, 300));
}
await app.close();

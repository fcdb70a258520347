import { startApp } from '@authorworks/spin-local';
const migrate = process.argv[2] === '1';
const c0 = process.cpuUsage(); const t0 = performance.now();
const app = await startApp({ manifest: '/work/main/services/content/spin.toml', env: { SPIN_VARIABLE_AUTH_SECRET: 'x'.repeat(40) }, migrate });
const c1 = process.cpuUsage(c0);
console.log('migrate', migrate, (performance.now() - t0).toFixed(0), 'ms wall; cpu user', (c1.user/1000).toFixed(0));
await app.close();

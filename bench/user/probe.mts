// usage: tsx probe.ts <root> [n]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const root = process.argv[2]!;
const n = Number(process.argv[3] ?? 40);
const load = (f: string) => import(pathToFileURL(join(root, f)).href);
const { startApp } = await load('packages/spin-local/src/index.ts');
const { signAccessToken } = await load('packages/kit/src/index.ts');
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const env = { SPIN_VARIABLE_AUTH_SECRET: SECRET, SPIN_VARIABLE_LOG_LEVEL: process.env.LEVEL ?? 'info' };
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function guest(app: any, path: string) {
  return app.logs.lines.map((l: any) => l.text).filter((t: string) => t.includes(`"path":"${path}"`) && t.includes('"status":200')).map((t: string) => JSON.parse(t.slice(t.indexOf('{'))));
}
async function run(app: any, label: string, path: string, headers: any) {
  const e2e: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); const r = await app.fetch(path, { headers }); await r.text(); if (!r.ok) throw new Error(String(r.status)); e2e.push(performance.now() - s); }
  const lines = guest(app, path).slice(-n);
  console.log(label, 'e2e', med(e2e).toFixed(1), 'guest ms', med(lines.map((l: any) => l.ms)), 'db', med(lines.map((l: any) => l.dbMs ?? 0)), 'redis', med(lines.map((l: any) => l.redisMs ?? 0)), 'calls', lines.at(-1).dbCalls, lines.at(-1).redisCalls);
  const stages = app.logs.lines.map((l: any) => l.text).filter((t: string) => t.includes('"request stages"') && t.includes(`"path":"${path}"`)).slice(-n).map((t: string) => JSON.parse(t.slice(t.indexOf('{'))));
  if (process.env.GREP) for (const t of app.logs.lines.map((l: any) => l.text).filter((t: string) => t.includes(process.env.GREP!)).slice(-5)) console.log('  ', t.slice(0, 300));
  if (stages.length) { const keys = Object.keys(stages[0]).filter((k) => typeof stages[0][k] === 'number'); console.log('  stages median:', keys.map((k) => `${k} ${med(stages.map((s: any) => s[k] ?? 0))}`).join(', ')); }
}
{
  const app = await startApp({ manifest: join(root, 'services/user/spin.toml'), env, migrate: true });
  await app.reset();
  const reg = await app.fetch('/v1/users/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'b@example.com', username: 'bench', password: 'correct horse battery', displayName: 'B' }) });
  const { accessToken } = await reg.json() as any;
  await run(app, 'warm', '/v1/users/me', { authorization: `Bearer ${accessToken}` });
  await run(app, 'GET /v1/users/me', '/v1/users/me', { authorization: `Bearer ${accessToken}` });
  await app.close();
}
{
  const app = await startApp({ manifest: join(root, 'services/content/spin.toml'), env, migrate: true, components: ['content-api'] });
  await app.reset();
  const author = crypto.randomUUID();
  const h = { authorization: `Bearer ${signAccessToken({ sub: author, roles: ['user'] }, { secret: SECRET })}` };
  const r = await app.fetch('/v1/content/books', { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Bench', description: 'A book' }) });
  const book = await r.json() as any;
  if (!r.ok) throw new Error(JSON.stringify(book));
  await run(app, 'warm', `/v1/content/books/${book.id}`, h);
  await run(app, 'GET /v1/content/books/{id}', `/v1/content/books/${book.id}`, h);
  await app.close();
}

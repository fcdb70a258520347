// The suite's users, signed up through the user service as anyone would (the tokens every
// service verifies come from it); an administrator is promoted in the user database, as an
// operator would.
import { signAccessToken } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';

export interface Account {
  name: string;
  id: string;
  token: string;
}

function userDatabase(app: TestApp): string {
  const declared = app.app.manifest.variables.user_db_connection?.default;
  const address = process.env.SPIN_VARIABLE_USER_DB_CONNECTION ?? declared;
  if (!address) throw new Error('spin-all.toml declares no user_db_connection');
  return address;
}

export async function registerUser(app: TestApp, name: string, options: { admin?: boolean; authSecret?: string } = {}): Promise<Account> {
  const unique = `${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const response = await app.fetch('/v1/users/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${unique}@example.com`, username: unique.slice(0, 30), password: 'attack suite passphrase', displayName: name }),
  });
  const body = (await response.json()) as { accessToken?: string; user?: { id?: string } };
  if (response.status !== 201 || !body.accessToken || !body.user?.id) throw new Error(`registering ${name}: ${response.status} ${JSON.stringify(body)}`);
  if (!options.admin) return { name, id: body.user.id, token: body.accessToken };
  if (!options.authSecret) throw new Error('an administrator needs the auth secret to be signed in with the role');
  const db = await app.sql(userDatabase(app));
  try {
    await db.query("UPDATE users SET roles = ARRAY['user','admin'] WHERE id = $1::uuid", [body.user.id]);
  } finally {
    await db.close();
  }
  return { name, id: body.user.id, token: signAccessToken({ sub: body.user.id, roles: ['user', 'admin'] }, { secret: options.authSecret }) };
}

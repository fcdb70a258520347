// The account every user benchmark signs in with, registered on a fresh app.
export const benchAccount = { email: 'bench@example.com', username: 'bench', password: 'correct horse battery', displayName: 'Bench' };
export const jsonHeaders = { 'content-type': 'application/json' };

/** Registers `benchAccount` and returns its access token. */
export async function registerBenchAccount(app: { fetch(path: string, init?: RequestInit): Promise<Response> }): Promise<string> {
  const registered = await app.fetch('/v1/users/register', { method: 'POST', headers: jsonHeaders, body: JSON.stringify(benchAccount) });
  if (!registered.ok) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  return ((await registered.json()) as { accessToken: string }).accessToken;
}

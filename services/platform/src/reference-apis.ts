import { ConfigError } from '@authorworks/kit';

/** An API base path as the services use them (`/v1/users`): it goes into the page unescaped, so nothing else is accepted. */
const API_BASE = /^(\/[a-z0-9][a-z0-9-]*)+$/;

/** The `reference_apis` variable: the bases whose specs the page lists, separated by spaces or commas. */
export function referenceApis(value: string): string[] {
  const bases = value.split(/[\s,]+/).filter((base) => base !== '');
  const invalid = bases.find((base) => !API_BASE.test(base));
  if (invalid !== undefined) throw new ConfigError('reference_apis', `holds "${invalid}", which is not an API base path like /v1/users`);
  if (bases.length === 0) throw new ConfigError('reference_apis', 'names no API');
  return bases;
}

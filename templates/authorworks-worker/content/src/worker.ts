import { handle{{job-kind | pascal_case}}Message } from './{{job-kind | kebab_case}}-jobs.ts';

/** The Redis trigger's entry: Spin calls it once per message on `{{project-name | kebab_case}}-jobs`. */
export const inboundRedis = {
  handleMessage(message: Uint8Array): void {
    handle{{job-kind | pascal_case}}Message(message);
  },
};

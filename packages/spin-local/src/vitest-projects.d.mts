export function sharesBackends(env?: NodeJS.ProcessEnv): boolean;
export function oneFileAtATimeOnSharedServers(env?: NodeJS.ProcessEnv): { isolate: false; fileParallelism: boolean; sequence: { groupOrder: 0 | 1 } };

// Where a request's own time goes, stage by stage. Off unless the component's `log_level` is
// `debug`: then the request log is followed by one `request stages` line (middleware/request-log.ts),
// so a slow route says whether its time went to the token, the revocation check, validation, the
// router, the handler or the row schemas — inside the component, so the figures hold on real Spin.

/**
 * The stages, in the order a request meets them. `handler` includes the queries it waits on
 * (the request log's `dbMs`) and the parsing of their rows (`rows`); the others do not overlap.
 */
export const STAGES = ['context', 'routing', 'jwt', 'revocation', 'params', 'query', 'body', 'handler', 'rows'] as const;
export type Stage = (typeof STAGES)[number];

export interface RequestProfile {
  readonly enabled: boolean;
  /** Runs `work` and adds its time (until its promise settles, for async work) to `stage`. */
  time<T>(stage: Stage, work: () => T): T;
  add(stage: Stage, ms: number): void;
  /** Starts timing `stage` where no single call spans it (the router's matching); `end` adds it, once. */
  begin(stage: Stage): void;
  end(stage: Stage): void;
  /** Milliseconds since the request reached the component. */
  elapsed(): number;
  /** Milliseconds per stage that ran, to a hundredth. */
  fields(): Partial<Record<Stage, number>>;
}

export const noProfile: RequestProfile = {
  enabled: false,
  time: (_stage, work) => work(),
  add: () => undefined,
  begin: () => undefined,
  end: () => undefined,
  elapsed: () => 0,
  fields: () => ({}),
};

let clockStopped = false;

/**
 * `performance.now()` for profiles and backend timings — 0 while the snapshot is warmed at build
 * time, when the engine has no time origin yet (calling it there aborts the build).
 */
export const profileClock = (): number => (clockStopped ? 0 : performance.now());

/** Runs `work` with `profileClock` stopped (snapshot-warm-up.ts). */
export function withoutClock(work: () => Promise<void>): Promise<void> {
  clockStopped = true;
  return work().finally(() => {
    clockStopped = false;
  });
}

/** A profile of a request that reached the component at `startedAt` (on `clock`). */
export function createProfile(startedAt: number, clock: () => number = profileClock): RequestProfile {
  const totals: Partial<Record<Stage, number>> = {};
  const open = new Map<Stage, number>();
  const add = (stage: Stage, ms: number) => {
    totals[stage] = (totals[stage] ?? 0) + ms;
  };
  return {
    enabled: true,
    add,
    begin: (stage) => void open.set(stage, clock()),
    end(stage) {
      const started = open.get(stage);
      if (started === undefined) return;
      open.delete(stage);
      add(stage, clock() - started);
    },
    elapsed: () => clock() - startedAt,
    time(stage, work) {
      const started = clock();
      const result = work();
      if (result instanceof Promise) return result.finally(() => add(stage, clock() - started)) as typeof result;
      add(stage, clock() - started);
      return result;
    },
    fields() {
      const out: Partial<Record<Stage, number>> = {};
      for (const stage of STAGES) if (totals[stage] !== undefined) out[stage] = Math.round(totals[stage] * 100) / 100;
      return out;
    },
  };
}

// A query helper (sql.ts `queryRows`) gets only the client, so the profile rides on it.
const profiles = new WeakMap<object, RequestProfile>();

export function attachProfile<Client extends object>(client: Client, profile: RequestProfile): Client {
  if (profile.enabled) profiles.set(client, profile);
  return client;
}

export const profileOf = (client: object): RequestProfile => profiles.get(client) ?? noProfile;

// The platform's clock for `spin-local up --tick <seconds>` — not a Spin feature. Spin has no timer
// trigger, so the deployment runs a `ticker` container (docker-compose.yml) that publishes a
// `platform.tick` envelope to every worker channel and a `job.sweep` to every `<svc>-jobs` queue;
// any message runs a consumer's rate-limited upkeep (docs/deploy.md, "What runs when"). `pnpm start`
// has no such container and its embedded Redis lives in this process, so the runtime plays it.

/** Queues of the kit's durable jobs are named `<svc>-jobs`; they get `job.sweep`, the rest `platform.tick`. */
export const isJobQueue = (channel: string) => channel.endsWith('-jobs');

/** What the compose ticker publishes (tests/deployment checks the same shape on its script). */
export function tickEnvelope(channel: string, now = new Date()): string {
  return JSON.stringify({
    id: crypto.randomUUID(),
    type: isJobQueue(channel) ? 'job.sweep' : 'platform.tick',
    source: 'ticker',
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    subject: channel,
    data: {},
    correlationId: 'ticker',
  });
}

export interface TickerOptions {
  seconds: number;
  subscriptions: readonly { address: string; channel: string }[];
  publish(channel: string, payload: string, address: string): Promise<void>;
  onError(message: string): void;
  /** The start-up round waits this long (default 0), so the first requests do not queue behind every worker's upkeep. */
  firstRoundAfterMs?: number;
  /**
   * Spreads each round over the interval: of n subscriptions, the i-th ticks i/n of an interval
   * after the first (each still every `seconds`). The compose ticker publishes a round at once;
   * here every consumer's upkeep opens its embedded database, and eight opened together held
   * ~250 MB more for a few seconds at every round, against ~20–30 MB for one at a time.
   */
  spread?: boolean;
}

/**
 * Publishes one round at start-up (after `firstRoundAfterMs`: what a crash left behind converges
 * without waiting for the interval) and then one every `seconds`. A tick still publishing when
 * its subscription's next is due is not doubled. Returns the function that stops it.
 */
export function startTicker(options: TickerOptions): () => void {
  if (!Number.isFinite(options.seconds) || options.seconds <= 0) throw new RangeError(`tick interval must be a positive number of seconds, got ${options.seconds}`);
  const intervalMs = options.seconds * 1000;
  const phaseMs = options.spread ? intervalMs / Math.max(1, options.subscriptions.length) : 0;
  const starts: NodeJS.Timeout[] = [];
  const intervals: NodeJS.Timeout[] = [];
  options.subscriptions.forEach(({ address, channel }, index) => {
    let publishing = false;
    const tick = async () => {
      if (publishing) return;
      publishing = true;
      try {
        await options.publish(channel, tickEnvelope(channel), address);
      } catch (error) {
        options.onError(`tick to "${channel}" not published: ${(error as Error).message}`);
      } finally {
        publishing = false;
      }
    };
    const first = setTimeout(
      () => {
        void tick();
        intervals.push(setInterval(() => void tick(), intervalMs));
      },
      Math.max(0, options.firstRoundAfterMs ?? 0) + index * phaseMs,
    );
    starts.push(first);
  });
  return () => {
    for (const timer of starts) clearTimeout(timer);
    for (const timer of intervals) clearInterval(timer);
  };
}

import type { CollectionReason } from './executor-protocol.ts';

/**
 * When an executor thread that never goes idle asks V8 for a full collection (executor-worker.ts
 * collects on idle too). A finished instance's linear memory goes back to the pool
 * (memory-images.ts) unless the pool is full or the memory grew too much; what is let go, and the
 * instances' JS objects, V8 frees only at a full collection, so a busy thread could carry hundreds
 * of MB of dead memories. Collect every `everyJobs` jobs, or as soon as `afterDroppedBytes` of
 * linear memory were let go.
 *
 * Every 4 jobs (the rule before) cost 1.1–1.4 ms of every back-to-back request and ~30 % of a
 * thread's throughput (bench/user overhead, alternating, 2026-12-04, load 3: health 4.8/5.7 →
 * 3.5/4.3 ms over the guest, 215/191 → 309/301 req/s at concurrency 8); the runtime held 20–45 MB
 * more right after 1,000 mixed requests (bench/spin-local start).
 */
export class CollectionPolicy {
  private jobs = 0;
  private droppedBytes = 0;

  constructor(
    readonly everyJobs = 16,
    readonly afterDroppedBytes = 64 * 2 ** 20,
  ) {}

  /**
   * A job ended, having let go of `droppedBytes` of linear memory; returns why to collect now, if
   * so. Warm-up instances (`countsAsJob` false) add their bytes but never start a collection: no
   * full collection in the middle of start-up.
   */
  afterJob(droppedBytes: number, countsAsJob = true): CollectionReason | undefined {
    this.droppedBytes += droppedBytes;
    if (!countsAsJob) return undefined;
    this.jobs++;
    if (this.jobs >= this.everyJobs) return 'jobs';
    if (this.droppedBytes >= this.afterDroppedBytes) return 'dropped';
    return undefined;
  }

  /** A full collection ran (for any reason): count from zero. */
  collected(): void {
    this.jobs = 0;
    this.droppedBytes = 0;
  }
}

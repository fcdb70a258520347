import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { buildComponent, type BuildResult } from './build-component.ts';
import { listComponentTargets, type ComponentTarget } from './components.ts';

export interface BuildAllOptions {
  root: string;
  serviceDirs: string[];
  /** Service names or component ids to build; empty builds everything. */
  filter?: string[];
  force?: boolean;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface BuildSummary {
  results: BuildResult[];
  failures: { id: string; error: Error }[];
  seconds: number;
}

export async function selectTargets(serviceDirs: string[], filter: string[] = []): Promise<ComponentTarget[]> {
  const all = (await Promise.all(serviceDirs.map(listComponentTargets))).flat();
  if (filter.length === 0) return all;
  const selected = all.filter((t) => filter.includes(t.service) || filter.includes(t.id));
  const unknown = filter.filter((name) => !all.some((t) => t.service === name || t.id === name));
  if (unknown.length) {
    throw new Error(`no service or component named ${unknown.join(', ')} (known: ${all.map((t) => t.id).join(', ')})`);
  }
  return selected;
}

/**
 * Builds components with at most `concurrency` compilations at once (the compiler is CPU-bound,
 * so the default is the core count), logging one line per component with done/total and seconds.
 * Every component is attempted; failures are collected and reported together.
 */
export async function buildAll(options: BuildAllOptions): Promise<BuildSummary> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const targets = await selectTargets(options.serviceDirs, options.filter);
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const results: BuildResult[] = [];
  const failures: BuildSummary['failures'] = [];
  let next = 0;
  let done = 0;
  const width = String(targets.length).length;

  async function worker() {
    while (next < targets.length) {
      const target = targets[next++] as ComponentTarget;
      try {
        const result = await buildComponent({ ...target, force: options.force });
        results.push(result);
        done++;
        const what = result.skipped ? 'unchanged' : `built ${(result.bytes / 1e6).toFixed(1)} MB`;
        log(`[${String(done).padStart(width)}/${targets.length}] ${target.id.padEnd(18)} ${what} in ${result.seconds.toFixed(1)}s  → ${relative(options.root, result.outFile)}`);
      } catch (error) {
        done++;
        failures.push({ id: target.id, error: error as Error });
        log(`[${String(done).padStart(width)}/${targets.length}] ${target.id.padEnd(18)} FAILED: ${(error as Error).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return { results, failures, seconds: (performance.now() - started) / 1000 };
}

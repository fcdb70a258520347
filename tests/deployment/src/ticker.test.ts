import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asList, loadCompose, loadSpinApp, serviceEnvironment, serviceNetworks } from './deployment-files.ts';

// The ticker is the deployment's clock (Spin has no timer trigger): it must reach every Redis
// trigger of spin-all.toml, and what it publishes must be an envelope the kit's consumers decode.
const ticker = loadCompose().services.ticker;
if (!ticker) throw new Error('docker-compose.yml has no service "ticker"');
const environment = serviceEnvironment(ticker);
const words = (value: string | undefined) => (value ?? '').split(/\s+/).filter((word) => word !== '');

/** The shell script Compose runs: `$$` in the file is a literal `$`. */
const script = asList(ticker.command)[0]?.replaceAll('$$', '$') ?? '';

const scratch = mkdtempSync(join(tmpdir(), 'ticker-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs one round of the loop with a recording `redis-cli` and a `sleep` that ends the loop. */
function oneRound(env: Record<string, string>): string[][] {
  const log = join(scratch, `published-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, '');
  writeFileSync(join(scratch, 'redis-cli'), `#!/bin/sh\nfor arg in "$@"; do printf '%s\\t' "$arg"; done >> "${log}"\necho >> "${log}"\n`);
  writeFileSync(join(scratch, 'sleep'), '#!/bin/sh\nkill -TERM "$PPID"\n');
  chmodSync(join(scratch, 'redis-cli'), 0o755);
  chmodSync(join(scratch, 'sleep'), 0o755);
  spawnSync('sh', ['-c', script], { env: { PATH: `${scratch}:/usr/bin:/bin`, ...env }, encoding: 'utf8', timeout: 10_000 });
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').slice(0, -1));
}

describe('the ticker (docker-compose.yml)', () => {
  it('ticks every Redis-triggered channel of spin-all.toml and sweeps every jobs queue', async () => {
    const { manifest } = await loadSpinApp();
    const channels = [...new Set((manifest.trigger.redis ?? []).map((trigger) => trigger.channel))];
    expect(channels.length).toBeGreaterThan(0);
    expect(words(environment.TICK_CHANNELS).sort()).toEqual(channels.filter((channel) => !channel.endsWith('-jobs')).sort());
    expect(words(environment.JOB_QUEUES).sort()).toEqual(channels.filter((channel) => channel.endsWith('-jobs')).sort());
    expect(Number(environment.TICK_SECONDS)).toBeGreaterThanOrEqual(5);
    expect(Number(environment.TICK_SECONDS)).toBeLessThanOrEqual(60);
  });

  it('runs on the backend network only, after Redis is healthy', () => {
    expect(serviceNetworks(ticker)).toEqual(['backend']);
    expect(ticker.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });

  it('publishes, per round, a platform.tick envelope to each channel and a job.sweep to each queue', () => {
    const published = oneRound({ TICK_SECONDS: '30', TICK_CHANNELS: 'content-events other-events', JOB_QUEUES: 'audio-jobs' });
    expect(published.map(([, , , channel]) => channel)).toEqual(['content-events', 'other-events', 'audio-jobs']);
    for (const [host, hostValue, command, channel, message] of published) {
      expect([host, hostValue, command]).toEqual(['-h', 'redis', 'PUBLISH']);
      const envelope = JSON.parse(message ?? '') as Record<string, unknown>;
      // The kit's EventEnvelope (packages/domain/src/events.ts): uuid id, dotted type, UTC time.
      expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(envelope.type).toBe(channel === 'audio-jobs' ? 'job.sweep' : 'platform.tick');
      expect(envelope.subject).toBe(channel);
      expect(envelope.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(envelope).toMatchObject({ source: 'ticker', data: {}, correlationId: 'ticker' });
    }
    // A fresh id each time: consumers that skip seen ids must not skip the next tick.
    expect(new Set(published.map((fields) => (JSON.parse(fields[4] ?? '') as { id: string }).id)).size).toBe(3);
  });
});

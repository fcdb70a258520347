// The video transcoder's optional Compose profile (services/video/transcoder/docker-compose.transcoder.yml),
// used as `-f docker-compose.yml -f <it> --profile transcoder`: valid, wired to the platform the way
// the video worker expects (the worker's variables, the volume Encore writes and the file server
// reads, the callback into the HTTP container), and as careful as the platform's own services.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { interpolate, loadCompose, loadComposeData, loadEnvExample, loadSpinApp, serviceEnvironment, serviceMounts, serviceNetworks, type ComposeFile } from './deployment-files.ts';
import { readRepoFile, repoPath, repoRoot } from './repo-files.ts';
import { schemaErrors, validateCompose } from './schemas.ts';

const FILE = 'services/video/transcoder/docker-compose.transcoder.yml';
const text = readRepoFile(FILE);
const data = loadComposeData(text);
const transcoder = data as ComposeFile & { services: Record<string, { profiles?: string[]; network_mode?: string }> };
const platform = loadCompose();
const { manifest } = await loadSpinApp();
const own = Object.entries(transcoder.services).filter(([name]) => !platform.services[name]);
const workerEnv = serviceEnvironment(transcoder.services['spin-worker'] ?? {});
const variableDefault = (name: string) => manifest.variables[name]?.default;

describe('the transcoder Compose profile', () => {
  it('is valid against the Compose specification schema', () => {
    expect(schemaErrors(validateCompose, data)).toEqual([]);
  });

  it('adds Encore, its Redis, the output file server and its pruner, each only under the transcoder profile', () => {
    expect(own.map(([name]) => name).sort()).toEqual(['encore', 'encore-output', 'encore-output-pruner', 'encore-redis']);
    for (const [name, service] of own) expect(service.profiles, name).toEqual(['transcoder']);
  });

  it('pins images, gives each service a health check and a memory limit, publishes nothing, and keeps them off the edge network', () => {
    for (const [name, service] of own) {
      // Encore's tag is the operator's choice of release (ENCORE_VERSION, required).
      const image = interpolate(service.image ?? '', { ENCORE_VERSION: 'v1.2.3' });
      expect(/:([^/:@]+)$/.exec(image)?.[1], `${name}: ${service.image}`).toMatch(/\d/);
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
      expect(service.ports ?? [], name).toEqual([]);
      expect(service.network_mode === 'none' ? [] : serviceNetworks(service), name).toEqual(expect.not.arrayContaining(['edge']));
    }
    // The pruner needs no network at all.
    expect(transcoder.services['encore-output-pruner']?.network_mode).toBe('none');
  });

  it('has Encore write where the worker says, and the file server serve that volume read-only', () => {
    const folder = variableDefault('video_transcoder_output_folder');
    expect(folder).toBe('/shared/authorworks-video');
    const encoreMounts = serviceMounts(transcoder.services.encore!);
    expect(encoreMounts).toContainEqual({ source: 'encore-output', target: folder, readOnly: false });
    expect(serviceMounts(transcoder.services['encore-output']!)).toContainEqual({ source: 'encore-output', target: '/srv/encore-output', readOnly: true });
    expect(serviceMounts(transcoder.services['encore-output-pruner']!)).toContainEqual({ source: 'encore-output', target: folder, readOnly: false });
    expect(Object.keys(transcoder.volumes ?? {})).toContain('encore-output');
  });

  it('configures nginx for GET of files only, from the mounted volume, on the port the worker is given', () => {
    const mount = serviceMounts(transcoder.services['encore-output']!).find((candidate) => candidate.target === '/etc/nginx/conf.d/default.conf');
    expect(mount?.readOnly).toBe(true);
    const conf = readRepoFile(mount!.source.replace(/^\.\//, ''));
    expect(conf).toMatch(/listen 8080;/);
    expect(conf).toMatch(/root \/srv\/encore-output;/);
    expect(conf).toMatch(/autoindex off;/);
    expect(conf).toMatch(/limit_except GET \{\s*deny all;\s*\}/);
    expect(workerEnv.SPIN_VARIABLE_VIDEO_TRANSCODER_OUTPUT_URL).toBe('http://encore-output:8080');
  });

  it("gives the worker Encore's and the file server's addresses, each also its allowed host, and the video API as Encore reaches it", () => {
    for (const [url, host] of [
      ['SPIN_VARIABLE_VIDEO_TRANSCODER_URL', 'SPIN_VARIABLE_VIDEO_TRANSCODER_ALLOWED_HOST'],
      ['SPIN_VARIABLE_VIDEO_TRANSCODER_OUTPUT_URL', 'SPIN_VARIABLE_VIDEO_TRANSCODER_OUTPUT_ALLOWED_HOST'],
    ] as const) {
      expect(workerEnv[url], url).toMatch(/^http:\/\/[a-z-]+:\d+$/);
      expect(workerEnv[host], host).toBe(new URL(workerEnv[url]!).origin);
      // The service it names exists in the profile, on the backend network with the worker.
      const name = new URL(workerEnv[url]!).hostname;
      expect(serviceNetworks(transcoder.services[name] ?? {}), name).toContain('backend');
    }
    expect(serviceNetworks(platform.services['spin-worker']!)).toContain('backend');
    // Every variable it sets is one the app declares (Spin ignores the others silently).
    for (const key of Object.keys(workerEnv)) expect(manifest.variables[key.replace(/^SPIN_VARIABLE_/, '').toLowerCase()], key).toBeDefined();
    // The callback goes to the HTTP container (where video-api runs) on the network Encore is on.
    expect(workerEnv.SPIN_VARIABLE_VIDEO_TRANSCODER_CALLBACK_URL).toBe('http://spin:3000/v1/video');
    expect(platform.services.spin?.command).toEqual(expect.arrayContaining(['video-api', '0.0.0.0:3000']));
    expect(serviceNetworks(platform.services.spin!)).toContain('backend');
    // The worker's allowed hosts name both variables.
    const worker = manifest.component['video-worker'];
    expect(worker?.allowed_outbound_hosts).toEqual(expect.arrayContaining(['{{ video_transcoder_allowed_host }}', '{{ video_transcoder_output_allowed_host }}']));
  });

  it('mounts the Encore profiles the worker names', () => {
    const profiles = serviceMounts(transcoder.services.encore!).find((candidate) => candidate.target === '/profiles');
    expect(profiles?.readOnly).toBe(true);
    const folder = profiles!.source.replace(/^\.\//, '');
    const index = parseYaml(readRepoFile(folder, 'profiles.yml')) as Record<string, string>;
    for (const variable of ['video_transcoder_poster_profile', 'video_transcoder_trailer_profile']) {
      const name = variableDefault(variable)!;
      expect(index[name], `${variable} = ${name}`).toBeDefined();
      expect(existsSync(repoPath(folder, index[name]!)), index[name]).toBe(true);
    }
  });
});

const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasDockerCompose)('docker-compose CLI with the transcoder profile (skipped when the docker-compose binary is not installed)', () => {
  const secrets = Object.fromEntries(loadEnvExample().filter((entry) => entry.value === '' && /SECRET|PASSWORD/.test(entry.name)).map((entry) => [entry.name, `sample-${entry.name.toLowerCase()}`]));
  const config = (env: Record<string, string>, ...extra: string[]) =>
    spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', '-f', FILE, '--profile', 'transcoder', 'config', ...extra], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...secrets, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('accepts the two files together, and merges the worker variables into the platform worker', () => {
    const result = config({ ENCORE_VERSION: 'v0.0.0-test' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const merged = parseYaml(result.stdout) as ComposeFile;
    const env = serviceEnvironment(merged.services['spin-worker']!);
    expect(env.SPIN_VARIABLE_VIDEO_TRANSCODER_OUTPUT_URL).toBe('http://encore-output:8080');
    // The platform's own variables are still there.
    expect(env.SPIN_VARIABLE_VIDEO_STORAGE_URL).toBe('http://spin:3000');
    expect(merged.services.encore?.image).toBe('ghcr.io/svt/encore-web:v0.0.0-test');
  });

  it('refuses to start without ENCORE_VERSION', () => {
    const result = config({}, '-q');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set ENCORE_VERSION');
  });
});

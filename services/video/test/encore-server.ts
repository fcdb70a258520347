// Test support (Node only, never bundled): SVT Encore's REST contract with a real transcode behind
// it — Debian's ffmpeg, run with the profiles of ../transcoder/encore-profiles as Encore would run
// them — plus the read-only file server over its output folder that the compose profile's
// `encore-output` (nginx) is. There is no Encore binary here; what this copies from Encore's
// sources (github.com/svt/encore: EncoreController.kt, EncoreJob.kt, Status.kt, ThumbnailEncode.kt,
// X264Encode/VideoEncode, CallbackService.kt) is:
// - POST /encoreJobs: 400 for a blank profile/outputFolder/baseName or no inputs, else 201 with the
//   job (status QUEUED, a new UUID id); the job then runs: IN_PROGRESS with `progress` 0–100,
//   then SUCCESSFUL with `output` (the analysed files: type VideoFile/ImageFile, file = absolute
//   path under the job's outputFolder, fileSize, width, height, duration), or FAILED with `message`
//   (an unknown profile fails the job when it runs, as Encore's ProfileService does);
// - GET /encoreJobs/{id} (404 unknown), GET /encoreJobs/search/findByExternalId (a HAL page,
//   newest first, no `_embedded` when empty), POST /encoreJobs/{id}/cancel;
// - progressCallbackUri: POST { jobId, externalId, progress, status } on each change;
// - ThumbnailEncode: `select` of the frame at thumbnailTime (else at the profile's percentages of
//   the output duration), scale to thumbnailHeight, `-q:v quality`, written `<baseName><suffix>01.jpg`;
//   X264Encode: libx264 + AAC at the profile's height and params, `-ss seekTo -t duration` output
//   seek, written `<baseName><suffix>.mp4`; an `optional` encode that fails is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0 && spawnSync('ffprobe', ['-version'], { stdio: 'ignore' }).status === 0;

const PROFILES = new URL('../transcoder/encore-profiles/', import.meta.url);

type Status = 'NEW' | 'QUEUED' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'CANCELLED';

interface EncoreOutputFile {
  type: 'VideoFile' | 'ImageFile' | 'AudioFile';
  file: string;
  fileSize: number;
  format: string;
  width?: number;
  height?: number;
  duration?: number;
}

export interface EncoreJobRecord {
  id: string;
  externalId: string | null;
  profile: string;
  outputFolder: string;
  baseName: string;
  createdDate: string;
  progressCallbackUri: string | null;
  seekTo: number | null;
  duration: number | null;
  thumbnailTime: number | null;
  inputs: { uri: string; type: string }[];
  status: Status;
  progress: number;
  message: string | null;
  startedDate: string | null;
  completedDate: string | null;
  output: EncoreOutputFile[];
}

export interface EncoreServer {
  /** Encore's base URL (what `video_transcoder_url` names). */
  url: string;
  /** The file server over the output folder (what `video_transcoder_output_url` names). */
  outputUrl: string;
  /** The folder Encore is told to write under (`video_transcoder_output_folder`), mapped to a temp folder here. */
  outputFolder: string;
  /** The temp folder it really writes to. */
  outputDir: string;
  jobs: Map<string, EncoreJobRecord>;
  requests: { method: string; path: string; body: unknown }[];
  /** Every progress callback sent: its URI, body, and the answer (status and text, or the error). */
  callbacks: { uri: string; body: { jobId: string; externalId: string | null; progress: number; status: Status }; status: number | string; answer: string }[];
  /** While true, jobs stay QUEUED (a busy transcoder). */
  hold: boolean;
  /** Files the file server answers 404 for (by name), as if they were gone from the volume. */
  hiddenOutputs: Set<string>;
  /** While true, the file server drops every connection unanswered (down, or a network fault). */
  filesDown: boolean;
  /** Runs the held jobs. */
  release(): void;
  close(): Promise<void>;
}

const now = () => new Date().toISOString();

function run(command: string, args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? -1, stderr, stdout }));
  });
}

async function probe(file: string): Promise<{ width?: number; height?: number; duration?: number; format: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const info = JSON.parse(stdout) as { format: { format_name: string; duration?: string }; streams: { codec_type: string; width?: number; height?: number }[] };
  const video = info.streams.find((stream) => stream.codec_type === 'video');
  return {
    format: info.format.format_name,
    ...(video?.width ? { width: video.width, height: video.height! } : {}),
    ...(info.format.duration ? { duration: Number(info.format.duration) } : {}),
  };
}

interface ThumbnailEncode {
  type: 'ThumbnailEncode';
  percentages?: number[];
  thumbnailHeight?: number;
  quality?: number;
  suffix?: string;
  optional?: boolean;
}
interface X264Encode {
  type: 'X264Encode';
  suffix: string;
  height?: number;
  params?: Record<string, string>;
  audioEncode?: { bitrate?: string };
  optional?: boolean;
}
type Encode = ThumbnailEncode | X264Encode;

/** Encore's ProfileService: the index maps names to files; an unknown name fails the job when it runs. */
function loadProfile(name: string): { encodes: Encode[] } {
  const index = parseYaml(readFileSync(new URL('profiles.yml', PROFILES), 'utf8')) as Record<string, string>;
  const file = index[name];
  if (!file) throw new Error(`Error parsing profile ${name}: Could not find location for profile ${name}! Profiles: ${JSON.stringify(index)}`);
  return parseYaml(readFileSync(new URL(file, PROFILES), 'utf8')) as { encodes: Encode[] };
}

async function inputDuration(uri: string): Promise<number> {
  const { stdout, code, stderr } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', uri]);
  if (code !== 0) throw new Error(`Error probing input: ${stderr.trim().split('\n').at(-1) ?? 'ffprobe failed'}`);
  return Number(stdout.trim());
}

/** ffmpeg's arguments for one encode, and the file it writes. */
function encodeArgs(encode: Encode, job: EncoreJobRecord, input: string, inputSeconds: number, folder: string): { args: string[]; file: string } {
  if (encode.type === 'ThumbnailEncode') {
    const outputDuration = job.duration ?? inputSeconds - (job.seekTo ?? 0);
    const times =
      job.thumbnailTime !== null ? [job.thumbnailTime] : (encode.percentages ?? [25, 50, 75]).map((percent) => (percent * outputDuration) / 100 + (job.seekTo ?? 0));
    const select = `select=${times.map((time) => `(isnan(prev_pts)+lt(prev_pts*TB\\,${time}))*gte(pts*TB\\,${time})`).join('+')}`;
    const name = `${job.baseName}${encode.suffix ?? '_thumb'}%02d.jpg`;
    return {
      args: ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-vf', `${select},scale=w=-2:h=${encode.thumbnailHeight ?? 1080}:out_range=jpeg`, '-fps_mode', 'vfr', '-q:v', String(encode.quality ?? 5), join(folder, name)],
      file: join(folder, name.replace('%02d', '01')),
    };
  }
  const name = `${job.baseName}${encode.suffix}.mp4`;
  const params = Object.entries(encode.params ?? {}).flatMap(([key, value]) => [`-${key}`, String(value)]);
  return {
    args: [
      '-hide_banner', '-loglevel', 'error', '-y', '-i', input,
      ...(job.seekTo !== null ? ['-ss', String(job.seekTo)] : []),
      ...(job.duration !== null ? ['-t', String(job.duration)] : []),
      '-vf', `scale=-2:${encode.height ?? 720}`, '-c:v', 'libx264', '-preset', 'veryfast', ...params,
      ...(encode.audioEncode ? ['-c:a', 'aac', '-b:a', encode.audioEncode.bitrate ?? '128k'] : ['-an']),
      join(folder, name),
    ],
    file: join(folder, name),
  };
}

export async function startEncoreServer(options: { outputDir: string; outputFolder?: string; stepMs?: number }): Promise<EncoreServer> {
  const outputFolder = options.outputFolder ?? '/shared/authorworks-video';
  const stepMs = options.stepMs ?? 150;
  const jobs = new Map<string, EncoreJobRecord>();
  const requests: EncoreServer['requests'] = [];
  const callbacks: EncoreServer['callbacks'] = [];
  const held: EncoreJobRecord[] = [];
  let queue = Promise.resolve();
  let closed = false;

  /** Encore's folder → the temp folder (Encore writes under the folder it is told; here it is mapped). */
  const local = (folder: string) => {
    if (folder !== outputFolder && !folder.startsWith(`${outputFolder}/`)) throw new Error(`outputFolder ${folder} is outside ${outputFolder}`);
    return join(options.outputDir, folder.slice(outputFolder.length));
  };

  async function callback(job: EncoreJobRecord): Promise<void> {
    if (!job.progressCallbackUri || closed) return;
    const body = { jobId: job.id, externalId: job.externalId, progress: job.progress, status: job.status };
    try {
      const response = await fetch(job.progressCallbackUri, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      callbacks.push({ uri: job.progressCallbackUri, body, status: response.status, answer: await response.text() });
    } catch (error) {
      // Encore logs and goes on (CallbackService).
      callbacks.push({ uri: job.progressCallbackUri, body, status: String(error), answer: '' });
    }
  }

  async function update(job: EncoreJobRecord, status: Status, message: string | null = null): Promise<void> {
    job.status = status;
    job.message = message;
    if (status === 'IN_PROGRESS') job.startedDate = now();
    if (status === 'SUCCESSFUL' || status === 'FAILED' || status === 'CANCELLED') job.completedDate = now();
    if (status === 'SUCCESSFUL') job.progress = 100;
    await callback(job);
  }

  async function transcode(job: EncoreJobRecord): Promise<void> {
    if (job.status === 'CANCELLED') return;
    await new Promise((resolveStep) => setTimeout(resolveStep, stepMs));
    await update(job, 'IN_PROGRESS');
    try {
      const profile = loadProfile(job.profile);
      const input = job.inputs[0]!.uri;
      const seconds = await inputDuration(input);
      const folder = local(job.outputFolder);
      mkdirSync(folder, { recursive: true });
      const outputs: EncoreOutputFile[] = [];
      for (const [index, encode] of profile.encodes.entries()) {
        const { args, file } = encodeArgs(encode, job, input, seconds, folder);
        const result = await run('ffmpeg', args);
        if (result.code !== 0 || !existsSync(file)) {
          if (encode.optional) continue;
          throw new Error(`Error running ffmpeg: ${result.stderr.trim().split('\n').slice(-2).join(' ') || 'no output written'}`);
        }
        const probed = await probe(file);
        outputs.push({
          type: encode.type === 'ThumbnailEncode' ? 'ImageFile' : 'VideoFile',
          file: `${job.outputFolder}/${file.slice(folder.length + 1)}`,
          fileSize: statSync(file).size,
          ...probed,
        });
        job.progress = Math.round(((index + 1) / profile.encodes.length) * 99);
        await callback(job);
      }
      job.output = outputs;
      await update(job, 'SUCCESSFUL');
    } catch (error) {
      await update(job, 'FAILED', error instanceof Error ? error.message : String(error));
    }
  }

  const schedule = (job: EncoreJobRecord) => {
    queue = queue.then(() => (closed ? undefined : transcode(job)));
  };

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/hal+json' }).end(JSON.stringify(body));
  };
  const springError = (response: ServerResponse, status: number, error: string, path: string) =>
    send(response, status, { timestamp: now(), status, error, path });
  const withLinks = (job: EncoreJobRecord, base: string) => ({ ...job, _links: { self: { href: `${base}/encoreJobs/${job.id}` }, encoreJob: { href: `${base}/encoreJobs/${job.id}` } } });

  let apiBase = '';
  const api: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://encore');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      requests.push({ method: request.method ?? '', path: `${url.pathname}${url.search}`, body });

      if (request.method === 'POST' && url.pathname === '/encoreJobs') {
        const submitted = body as Partial<EncoreJobRecord> | null;
        const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';
        if (!submitted || blank(submitted.profile) || blank(submitted.outputFolder) || blank(submitted.baseName) || !Array.isArray(submitted.inputs) || submitted.inputs.length === 0) {
          return springError(response, 400, 'Bad Request', url.pathname);
        }
        const job: EncoreJobRecord = {
          id: randomUUID(),
          externalId: submitted.externalId ?? null,
          profile: submitted.profile!,
          outputFolder: submitted.outputFolder!,
          baseName: submitted.baseName!,
          createdDate: now(),
          progressCallbackUri: submitted.progressCallbackUri ?? null,
          seekTo: submitted.seekTo ?? null,
          duration: submitted.duration ?? null,
          thumbnailTime: submitted.thumbnailTime ?? null,
          inputs: submitted.inputs,
          status: 'QUEUED',
          progress: 0,
          message: null,
          startedDate: null,
          completedDate: null,
          output: [],
        };
        jobs.set(job.id, job);
        if (server.hold) held.push(job);
        else schedule(job);
        return send(response, 201, withLinks(job, apiBase));
      }
      if (request.method === 'GET' && url.pathname === '/encoreJobs/search/findByExternalId') {
        const externalId = url.searchParams.get('externalId');
        if (externalId === null) return springError(response, 400, 'Bad Request', url.pathname);
        const found = [...jobs.values()].filter((job) => job.externalId === externalId).sort((a, b) => b.createdDate.localeCompare(a.createdDate));
        const page = { size: 10, totalElements: found.length, totalPages: found.length === 0 ? 0 : 1, number: 0 };
        return send(response, 200, {
          ...(found.length > 0 ? { _embedded: { encoreJobs: found.slice(0, 10).map((job) => withLinks(job, apiBase)) } } : {}),
          _links: { self: { href: `${apiBase}${url.pathname}${url.search}` } },
          page,
        });
      }
      const one = /^\/encoreJobs\/([0-9a-f-]{36})(\/cancel)?$/.exec(url.pathname);
      const job = one ? jobs.get(one[1]!) : undefined;
      if (one && !job) return springError(response, 404, 'Not Found', url.pathname);
      if (job && request.method === 'GET' && !one![2]) return send(response, 200, withLinks(job, apiBase));
      if (job && request.method === 'POST' && one![2]) {
        if (job.status !== 'NEW' && job.status !== 'QUEUED') return springError(response, 409, 'Conflict', url.pathname);
        void update(job, 'CANCELLED');
        response.writeHead(200).end();
        return;
      }
      springError(response, 404, 'Not Found', url.pathname);
    });
  });

  // The compose profile's `encore-output`: nginx serving the output volume read-only.
  const files: Server = createServer((request, response) => {
    if (server.filesDown) return void request.socket.destroy();
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://files').pathname);
    const target = resolve(options.outputDir, `.${path}`);
    const name = path.split('/').at(-1) ?? '';
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405).end();
    if (!target.startsWith(`${resolve(options.outputDir)}${sep}`) || server.hiddenOutputs.has(name) || !existsSync(target) || !statSync(target).isFile()) {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    const type = name.endsWith('.jpg') ? 'image/jpeg' : name.endsWith('.mp4') ? 'video/mp4' : 'application/octet-stream';
    response.writeHead(200, { 'content-type': type, 'content-length': String(statSync(target).size) });
    if (request.method === 'HEAD') return void response.end();
    createReadStream(target).pipe(response);
  });

  const listen = async (target: Server) => {
    await new Promise<void>((resolveListen) => target.listen(0, '127.0.0.1', resolveListen));
    return `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  };
  apiBase = await listen(api);
  const outputUrl = await listen(files);

  const server: EncoreServer = {
    url: apiBase,
    outputUrl,
    outputFolder,
    outputDir: options.outputDir,
    jobs,
    requests,
    callbacks,
    hold: false,
    hiddenOutputs: new Set(),
    filesDown: false,
    release() {
      for (const job of held.splice(0)) schedule(job);
    },
    async close() {
      closed = true;
      const closing = [api, files].map((target) => new Promise<void>((done) => target.close(() => done())));
      api.closeAllConnections();
      files.closeAllConnections();
      await Promise.all(closing);
      await queue.catch(() => undefined);
    },
  };
  return server;
}

// Test support (Node only, never bundled): a small HTTP server speaking the OpenAI-compatible
// speech API (`POST /v1/audio/speech`) with a real engine behind it — espeak-ng from Debian's
// packages, its WAV passed through as the engine writes it.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const hasEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;

export interface SpeechServer {
  url: string;
  requests: { model: string; voice: string; input: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startEspeakSpeechServer(): Promise<SpeechServer> {
  const requests: SpeechServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/audio/speech') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      let body: { model?: string; input?: string; voice?: string; response_format?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end('{"error":{"message":"bad json"}}');
        return;
      }
      if (typeof body.input !== 'string' || body.input.length === 0 || body.input.length > 4096 || (body.response_format ?? 'wav') !== 'wav') {
        response.writeHead(400).end('{"error":{"message":"input 1–4096 characters, response_format wav"}}');
        return;
      }
      const voice = body.voice ?? 'en';
      if (!/^[\w+-]{1,32}$/.test(voice)) {
        response.writeHead(400).end('{"error":{"message":"unknown voice"}}');
        return;
      }
      requests.push({ model: body.model ?? '', voice, input: body.input, authorization: request.headers.authorization });
      const engine = spawn('espeak-ng', ['-v', voice, '--stdout'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const audio: Buffer[] = [];
      engine.stdout.on('data', (chunk: Buffer) => audio.push(chunk));
      engine.on('close', (code) => {
        if (code !== 0) response.writeHead(500).end('{"error":{"message":"engine failed"}}');
        else response.writeHead(200, { 'content-type': 'audio/wav' }).end(Buffer.concat(audio));
      });
      engine.stdin.end(body.input);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

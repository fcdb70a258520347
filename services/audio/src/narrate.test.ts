import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySink, memorySource } from './byte-source.ts';
import { startEspeakSpeechServer, hasEspeak, type SpeechServer } from './espeak-speech-server.ts';
import { JobFailure } from './job-failure.ts';
import { narrate, SEGMENT_CHARS, speechSegments, speechText } from './narrate.ts';
import { parseWav } from './wav.ts';

describe('speech text', () => {
  it('keeps the words of Markdown and drops its marks', () => {
    expect(speechText('# Chapter One\n\nIt was *very* dark. See [the map](http://x/y).\n\n- item one\n\n```\ncode\n```', 'markdown')).toBe('Chapter One\n\nIt was very dark. See the map.\n\nitem one');
    expect(speechText('a\u0000b\t\tc', 'plain')).toBe('a b c');
  });

  it('cuts at sentence ends, every piece within the limit, no word lost', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const pieces = speechSegments(text, 500);
    expect(pieces.every((piece) => piece.length <= 500 && piece.endsWith('.'))).toBe(true);
    expect(pieces.join(' ')).toBe(text);
    expect(speechSegments('x'.repeat(1200), 500).map((piece) => piece.length)).toEqual([500, 500, 200]);
  });
});

describe.skipIf(!hasEspeak)('narration through the OpenAI-compatible speech API, espeak-ng behind it', () => {
  let server: SpeechServer;
  beforeAll(async () => {
    server = await startEspeakSpeechServer();
  });
  afterAll(() => server?.close());

  it('speaks every segment and joins them into one WAV whose length is the sum', async () => {
    const text = `${'The night mail crosses the border. '.repeat(90)}The end.`;
    const provider = { url: server.url, model: 'tts-1', voice: 'en', apiKey: 'local-key' };
    const narration = await narrate((url, init) => fetch(url, init), provider, text);
    expect(narration.segments).toBe(Math.ceil(text.length / SEGMENT_CHARS));
    expect(server.requests.map((request) => request.input).join(' ')).toBe(text);
    expect(server.requests[0]).toMatchObject({ model: 'tts-1', voice: 'en', authorization: 'Bearer local-key' });
    const { sink, bytes } = memorySink();
    await narration.output.write(sink);
    const wav = await parseWav(memorySource(bytes()));
    expect(wav).toMatchObject({ sampleRate: 22050, channels: 1, bitsPerSample: 16 });
    expect(wav.durationSeconds).toBeCloseTo(narration.durationSeconds, 6);
    // espeak-ng speaks ~170 words a minute: 542 words take minutes, not seconds.
    expect(narration.durationSeconds).toBeGreaterThan(120);
  }, 60_000);

  it('a voice the server refuses fails with tts_request_refused', async () => {
    const error = await narrate((url, init) => fetch(url, init), { url: server.url, model: 'tts-1', voice: 'no such voice!' }, 'Hello.').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as JobFailure).code).toBe('tts_request_refused');
  });
});
if (!hasEspeak) describe.skip('espeak-ng is not installed (apt-get install -y espeak-ng): narration against a real engine skipped', () => {});

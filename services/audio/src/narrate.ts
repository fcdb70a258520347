// Narration through a self-hosted text-to-speech server speaking the OpenAI-compatible speech API
// (`POST <url>/v1/audio/speech` with `{ model, input, voice, response_format: "wav" }` → WAV
// bytes), which Kokoro-FastAPI, LocalAI, openedai-speech and Speaches serve. The chapter's text is
// cut into segments at sentence ends (servers cap one request's input), each segment is spoken,
// and the segments are joined into one WAV; every segment must come back in one format.
import { planAssemble, type ChapterInput } from './assemble.ts';
import { AudioError } from './audio-error.ts';
import { memorySource } from './byte-source.ts';
import { JobFailure } from './job-failure.ts';
import type { WavOutput } from './wav-output.ts';
import { parseWav } from './wav.ts';

export interface TtsProvider {
  /** Base URL of the server, e.g. http://kokoro:8880 (the API path is appended). */
  url: string;
  model: string;
  voice: string;
  /** Sent as a bearer token when set (LocalAI and others can require one). */
  apiKey?: string;
}

export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

/** Characters of one request (OpenAI's limit is 4,096; self-hosted servers accept it too). */
export const SEGMENT_CHARS = 3000;
/** Segments of one job: bounded, so a job's time and memory are. */
export const MAX_SEGMENTS = 40;

/** The words to speak, from the chapter's stored text: Markdown's marks go, its words stay. */
export function speechText(content: string, format: 'plain' | 'markdown'): string {
  let text = content;
  if (format === 'markdown') {
    text = text
      .replace(/```[\s\S]*?```/g, ' ')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/^[ \t]{0,3}(#{1,6}|>|[-*+]|\d+[.)])[ \t]+/gm, '')
      .replace(/[*_~`]+/g, '')
      .replace(/^[ \t]*([-*_][ \t]*){3,}$/gm, ' ');
  }
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').replace(/[ \t]+/g, ' ').replace(/\n{3,}/g, '\n\n').trim();
}

/** Cuts text into pieces of at most `max` characters, at a sentence end, else a space, else anywhere. */
export function speechSegments(text: string, max = SEGMENT_CHARS): string[] {
  const segments: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '), window.lastIndexOf('\n'));
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut <= 0) cut = max - 1;
    segments.push(rest.slice(0, cut + 1).trim());
    rest = rest.slice(cut + 1).trim();
  }
  if (rest) segments.push(rest);
  return segments;
}

async function speak(fetcher: Fetcher, provider: TtsProvider, input: string, voice: string): Promise<Uint8Array> {
  const response = await fetcher(`${provider.url.replace(/\/+$/, '')}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(provider.apiKey ? { authorization: `Bearer ${provider.apiKey}` } : {}) },
    body: JSON.stringify({ model: provider.model, input, voice, response_format: 'wav' }),
  });
  if (!response.ok) {
    const detail = (await response.text()).slice(0, 200);
    // A 4xx is the request (voice, model) and will not get better; a 5xx may.
    if (response.status >= 400 && response.status < 500) throw new JobFailure('tts_request_refused', `the TTS server answered ${response.status}: ${detail}`);
    throw new Error(`the TTS server answered ${response.status}: ${detail}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export interface Narration {
  segments: number;
  characters: number;
  durationSeconds: number;
  output: WavOutput;
}

/** Speaks `text` segment by segment and plans one WAV of them all (held in memory: bounded by MAX_SEGMENTS). */
export async function narrate(fetcher: Fetcher, provider: TtsProvider, text: string, options: { voice?: string; onSegment?: (done: number, total: number) => Promise<void> } = {}): Promise<Narration> {
  const segments = speechSegments(text);
  if (segments.length === 0) throw new JobFailure('nothing_to_narrate', 'the chapter has no text');
  if (segments.length > MAX_SEGMENTS) throw new JobFailure('text_too_long', `the chapter needs ${segments.length} requests of ${SEGMENT_CHARS} characters; one job speaks at most ${MAX_SEGMENTS}`);
  const inputs: ChapterInput[] = [];
  for (const [index, segment] of segments.entries()) {
    const bytes = await speak(fetcher, provider, segment, options.voice ?? provider.voice);
    const source = memorySource(bytes);
    let wav;
    try {
      wav = await parseWav(source, { streamed: true });
    } catch (error) {
      throw new JobFailure('tts_bad_audio', `the TTS server's answer to segment ${index + 1} is not usable WAV: ${error instanceof Error ? error.message : String(error)}`);
    }
    inputs.push({ title: `segment ${index + 1}`, source, wav });
    await options.onSegment?.(index + 1, segments.length);
  }
  let plan;
  try {
    plan = planAssemble(inputs, { markers: false });
  } catch (error) {
    if (error instanceof AudioError) throw new JobFailure('tts_bad_audio', `the TTS server answered in more than one format: ${error.message}`);
    throw error;
  }
  return { segments: segments.length, characters: text.length, durationSeconds: plan.durationSeconds, output: plan.output };
}

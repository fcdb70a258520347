import { describe, expect, it } from 'vitest';
import { forwardable } from './body.ts';

const streamOf = (chunks: Uint8Array[], failAfter?: Error) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (failAfter) controller.error(failAfter);
      else controller.close();
    },
  });

describe('forwardable', () => {
  it('passes every byte on, in order', async () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(70_000).fill(7), new Uint8Array([9])];
    const bytes = new Uint8Array(await new Response(forwardable(streamOf(chunks))).arrayBuffer());
    expect(bytes.length).toBe(70_004);
    expect([...bytes.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(bytes[70_003]).toBe(9);
  });

  it('hands the source\'s failure to whoever reads it', async () => {
    const failed = new Response(forwardable(streamOf([new Uint8Array([1])], new Error('connection reset')))).arrayBuffer();
    await expect(failed).rejects.toThrow('connection reset');
  });

  it('cancels the source when its reader gives up', async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(new Uint8Array(16)), cancel: (reason) => void (cancelled = reason) });
    const reader = forwardable(source).getReader();
    await reader.read();
    await reader.cancel('client went away');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelled).toBe('client went away');
  });
});

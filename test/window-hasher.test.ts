import { describe, expect, it } from 'vitest';
import { blake3 } from '@napi-rs/blake-hash';
import { pseudoRandomBytes } from './helpers.js';
// The compiled module (`npm test` builds first): its thread runs dist/workers/window-hasher-thread.js.
import { InlineWindowHasher, ThreadWindowHasher, type WindowHasher } from '../dist/workers/window-hasher.js';

const WINDOW_BYTES = 1 << 20;

/** Feeds `content` through a hasher in windows of 1 MiB cut into 64 KiB spans, as ingest does. */
async function hashInWindows(hasher: WindowHasher, content: Buffer): Promise<{ ids: Buffer[]; contentId: Buffer }> {
  const ids: Buffer[] = [];
  for (let start = 0; start < content.length; start += WINDOW_BYTES) {
    const fresh = content.subarray(start, start + WINDOW_BYTES);
    const window = Buffer.from(new ArrayBuffer(fresh.length + 100));
    fresh.copy(window, 100);
    const spans = new Uint32Array(Math.ceil(fresh.length / 65536) * 2);
    for (let i = 0; i < spans.length / 2; i++) {
      spans[i * 2] = 100 + i * 65536;
      spans[i * 2 + 1] = Math.min(65536, fresh.length - i * 65536);
    }
    const hashed = await hasher.hashWindow(window, { start: 100, end: 100 + fresh.length }, spans, false);
    expect(hashed.window.subarray(100).equals(fresh)).toBe(true); // the window comes back intact
    for (let i = 0; i < spans.length / 2; i++) ids.push(Buffer.from(hashed.ids.subarray(i * 32, (i + 1) * 32)));
  }
  return { ids, contentId: await hasher.contentId() };
}

describe('window hashers', () => {
  const content = pseudoRandomBytes(3 * WINDOW_BYTES + 12345, 21);
  const expectedIds = Array.from({ length: Math.ceil(content.length / 65536) }, (_, i) => blake3(content.subarray(i * 65536, (i + 1) * 65536)));

  for (const [name, make] of [
    ['inline', () => new InlineWindowHasher()],
    ['on a thread', () => ThreadWindowHasher.start()],
  ] as const) {
    it(`${name}: chunk ids and the content id equal BLAKE3 of the bytes; reset drops a half-hashed content`, async () => {
      const hasher: WindowHasher & { close?: () => Promise<void> } = make();
      try {
        const first = await hashInWindows(hasher, content);
        expect(first.ids).toEqual(expectedIds);
        expect(first.contentId.equals(blake3(content))).toBe(true);
        // Half a content, then reset: the next content's id is not mixed with it.
        const window = Buffer.from(new ArrayBuffer(1000));
        await hasher.hashWindow(window, { start: 0, end: 1000 }, new Uint32Array(0), false);
        hasher.reset();
        const second = await hashInWindows(hasher, content.subarray(0, 5000));
        expect(second.contentId.equals(blake3(content.subarray(0, 5000)))).toBe(true);
      } finally {
        await hasher.close?.();
      }
    });
  }

  it('on a thread: a window that does not own its memory is refused, before it is handed over', async () => {
    const hasher = ThreadWindowHasher.start();
    try {
      const pooled = Buffer.from('small buffers share a pool');
      expect(() => hasher.hashWindow(pooled, { start: 0, end: pooled.length }, new Uint32Array(0), false)).toThrow('must own its ArrayBuffer');
      expect(pooled.toString()).toBe('small buffers share a pool');
    } finally {
      await hasher.close();
    }
  });
});

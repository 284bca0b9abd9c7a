import { describe, expect, it } from 'vitest';
import { get_chunks } from 'fastcdc-wasm';
import { cdcOffsets, findChunks } from '../src/chunking/fastcdc.js';
import { pseudoRandomBytes } from './helpers.js';

const params = { minBytes: 2048, avgBytes: 8192, maxBytes: 32768 };

function chunkInWindows(data: Buffer, windowBytes: number): number[] {
  const boundaries: number[] = [];
  let carryStart = 0;
  let position = 0;
  while (true) {
    const windowEnd = Math.min(position + windowBytes, data.length);
    const atEnd = windowEnd === data.length;
    const slice = data.subarray(carryStart, windowEnd);
    const { chunks, consumedBytes } = findChunks(slice, params, atEnd);
    for (const chunk of chunks) boundaries.push(carryStart + chunk.offset + chunk.length);
    carryStart += consumedBytes;
    position = windowEnd;
    if (atEnd) break;
  }
  return boundaries;
}

describe('FastCDC over windows', () => {
  it('gives exactly the boundaries of one call over the whole input', () => {
    const data = pseudoRandomBytes(1_000_003, 7);
    const whole = findChunks(data, params, true).chunks.map((chunk) => chunk.offset + chunk.length);
    for (const windowBytes of [40_000, 65_536, 100_003, 1_000_003]) {
      expect(chunkInWindows(data, windowBytes)).toEqual(whole);
    }
    expect(whole.at(-1)).toBe(data.length);
  });

  it('respects the minimum and maximum chunk sizes', () => {
    const data = Buffer.concat([pseudoRandomBytes(300_000, 3), Buffer.alloc(300_000)]);
    const { chunks } = findChunks(data, params, true);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(params.minBytes);
      expect(chunk.length).toBeLessThanOrEqual(params.maxBytes);
    }
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(data.length);
  });

  it('returns no chunk for empty input, and keeps a window-cut last chunk back', () => {
    expect(findChunks(Buffer.alloc(0), params, true)).toEqual({ chunks: [], consumedBytes: 0 });
    const small = pseudoRandomBytes(1000, 1);
    expect(findChunks(small, params, false)).toEqual({ chunks: [], consumedBytes: 0 });
    expect(findChunks(small, params, true)).toEqual({ chunks: [{ offset: 0, length: 1000 }], consumedBytes: 1000 });
  });

  it('calls get_chunks through its exports with the answers of the library itself', () => {
    // Sizes that grow and shrink, so that the kept input area is reused and reallocated.
    for (const [length, seed] of [
      [40_000, 1],
      [3_000_000, 2],
      [100_000, 3],
      [4_456_448, 4],
      [2_049, 5],
    ] as const) {
      const data = pseudoRandomBytes(length, seed);
      const copy = Buffer.from(data);
      const expected = Array.from(get_chunks(copy, params.minBytes, params.avgBytes, params.maxBytes));
      expect(Array.from(cdcOffsets(data, params.minBytes, params.avgBytes, params.maxBytes)), `length ${length}`).toEqual(expected);
      expect(data.equals(copy)).toBe(true);
    }
  });

  it('skips the WebAssembly call only where FastCDC itself gives one chunk (at or under the minimum)', () => {
    for (const length of [1, 100, params.minBytes - 1, params.minBytes]) {
      const data = pseudoRandomBytes(length, length);
      expect(Array.from(get_chunks(data, params.minBytes, params.avgBytes, params.maxBytes))).toEqual([0, length]);
      expect(findChunks(data, params, true).chunks).toEqual([{ offset: 0, length }]);
    }
  });
});

import { lazyRequire } from '../core/lazy-require.js';
import type { ChunkingParameters } from '../repository/config.js';

const fastcdc = lazyRequire<typeof import('fastcdc-wasm')>('fastcdc-wasm');

export interface ChunkSpan {
  offset: number;
  length: number;
}

/**
 * Content-defined cut points of `data` (FastCDC). No I/O here: the caller feeds windows.
 *
 * When `atEnd` is false the last chunk may have been cut by the end of the window rather than by
 * content, so it is not returned: `consumedBytes` says where it starts, and the caller carries
 * `data[consumedBytes..]` into the next window. Feeding a file window by window this way yields
 * exactly the boundaries of one call over the whole file (tested in test/chunking.test.ts).
 */
export function findChunks(
  data: Uint8Array,
  params: ChunkingParameters,
  atEnd: boolean,
): { chunks: ChunkSpan[]; consumedBytes: number } {
  if (data.length === 0) return { chunks: [], consumedBytes: 0 };
  // FastCDC never cuts before the minimum size: most small files need no call into WebAssembly
  // (which copies its input) to be one chunk.
  if (atEnd && data.length <= params.minBytes) return { chunks: [{ offset: 0, length: data.length }], consumedBytes: data.length };
  // get_chunks returns the start offset of every chunk followed by the total length.
  const offsets = fastcdc().get_chunks(data, params.minBytes, params.avgBytes, params.maxBytes);
  const lastIndex = atEnd ? offsets.length - 1 : offsets.length - 2;
  const chunks: ChunkSpan[] = [];
  for (let i = 0; i < lastIndex; i++) {
    const start = offsets[i]!;
    chunks.push({ offset: start, length: offsets[i + 1]! - start });
  }
  const consumedBytes = atEnd ? data.length : offsets[lastIndex]!;
  return { chunks, consumedBytes };
}

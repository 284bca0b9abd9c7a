import { lazyRequire } from '../core/lazy-require.js';
import type { ChunkingParameters } from '../core/vocabulary.js';

/** The module's own glue, and (not in its typings) the WebAssembly exports behind it. */
interface FastCdcWasmExports {
  memory: { buffer: ArrayBuffer };
  get_chunks(retptr: number, ptr: number, len: number, min: number, avg: number, max: number): void;
  __wbindgen_add_to_stack_pointer(delta: number): number;
  __wbindgen_malloc(bytes: number): number;
  __wbindgen_free(ptr: number, bytes: number): void;
}
const fastcdc = lazyRequire<typeof import('fastcdc-wasm') & { __wasm: FastCdcWasmExports }>('fastcdc-wasm');

/** Input area kept in WebAssembly memory across calls (the glue allocates and frees one per call). */
let input: { ptr: number; capacity: number } | undefined;

/**
 * fastcdc-wasm's `get_chunks`, called through its exports as its glue does, minus two costs of the
 * glue: it mallocs an input area per call, and copies the input back out afterwards (the Rust side
 * takes `&mut [u8]`, though it only reads). Over a 2 GiB file those two were ~0.3 s of this thread.
 * The package is pinned to 0.1.0; test/chunking.test.ts checks this against `get_chunks` itself.
 */
export function cdcOffsets(data: Uint8Array, minBytes: number, avgBytes: number, maxBytes: number): Uint32Array {
  const wasm = fastcdc().__wasm;
  if (input === undefined || input.capacity < data.length) {
    if (input !== undefined) wasm.__wbindgen_free(input.ptr, input.capacity);
    const capacity = 2 ** Math.ceil(Math.log2(data.length)); // grown rarely as file sizes vary
    input = { ptr: wasm.__wbindgen_malloc(capacity), capacity };
  }
  new Uint8Array(wasm.memory.buffer, input.ptr, data.length).set(data);
  const retptr = wasm.__wbindgen_add_to_stack_pointer(-16);
  try {
    wasm.get_chunks(retptr, input.ptr, data.length, minBytes, avgBytes, maxBytes);
    const [resultPtr, resultLength] = new Int32Array(wasm.memory.buffer, retptr, 2);
    const offsets = new Uint32Array(wasm.memory.buffer, resultPtr!, resultLength!).slice();
    wasm.__wbindgen_free(resultPtr!, resultLength! * 4);
    return offsets;
  } finally {
    wasm.__wbindgen_add_to_stack_pointer(16);
  }
}

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
export function findChunks(data: Uint8Array, params: ChunkingParameters, atEnd: boolean): { chunks: ChunkSpan[]; consumedBytes: number } {
  if (data.length === 0) return { chunks: [], consumedBytes: 0 };
  // FastCDC never cuts before the minimum size: most small files need no call into WebAssembly
  // (which copies its input) to be one chunk.
  if (atEnd && data.length <= params.minBytes) return { chunks: [{ offset: 0, length: data.length }], consumedBytes: data.length };
  // get_chunks returns the start offset of every chunk followed by the total length.
  const offsets = cdcOffsets(data, params.minBytes, params.avgBytes, params.maxBytes);
  const lastIndex = atEnd ? offsets.length - 1 : offsets.length - 2;
  const chunks: ChunkSpan[] = [];
  for (let i = 0; i < lastIndex; i++) {
    const start = offsets[i]!;
    chunks.push({ offset: start, length: offsets[i + 1]! - start });
  }
  const consumedBytes = atEnd ? data.length : offsets[lastIndex]!;
  return { chunks, consumedBytes };
}

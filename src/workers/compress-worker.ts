import { move } from 'piscina';
import { FrameCompressor } from '../store/compression.js';

/**
 * Worker-thread entry point: compresses one frame. The stored bytes are written back into the
 * frame's own ArrayBuffer and that buffer is transferred back, so the main thread can reuse it and
 * allocates nothing per frame. The result is zstd exactly when it is shorter than the input.
 */
export interface CompressTask {
  raw: Uint8Array;
  level: number;
}

const compressors = new Map<number, FrameCompressor>();

export default function compressTask(task: CompressTask): Uint8Array {
  let compressor = compressors.get(task.level);
  if (compressor === undefined) {
    compressor = new FrameCompressor(task.level);
    compressors.set(task.level, compressor);
  }
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const stored = compressor.compress(raw).bytes;
  if (stored !== raw) raw.set(stored, 0); // shorter than raw: it fits where raw was
  return move(new Uint8Array(task.raw.buffer, task.raw.byteOffset, stored.length)) as Uint8Array;
}

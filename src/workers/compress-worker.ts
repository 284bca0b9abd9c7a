import { move } from 'piscina';
import { FrameCompressor } from '../store/compression.js';

/**
 * Worker-thread entry point: compresses one frame. The result is the stored bytes, transferred (not
 * copied) back; it is zstd exactly when it is shorter than the input (raw frames are returned as given).
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
  return move(ownArrayBuffer(stored)) as Uint8Array;
}

/** A view that owns its whole ArrayBuffer, so transferring it detaches nothing else. */
function ownArrayBuffer(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

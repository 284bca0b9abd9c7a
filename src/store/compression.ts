import type { Decompressor } from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { lazyRequire } from '../core/lazy-require.js';
import { Codec } from './pack-format.js';

// The low-level binding is a native CommonJS module: its functions are not visible as ES named exports.
const zstd = lazyRequire<typeof ZstdBinding>('zstd-napi/binding.js');
const zstdApi = lazyRequire<typeof import('zstd-napi')>('zstd-napi');

export interface CompressedFrame {
  codec: Codec;
  bytes: Buffer;
}

/**
 * zstd at a fixed level, in place: the stored bytes are written back over the frame's raw bytes, so
 * compressing allocates nothing per frame (per-frame result buffers kept worker heaps ~60 MB larger,
 * waiting for GC). Frames that do not shrink are kept raw, so reading them costs nothing.
 */
export class FrameCompressor {
  private readonly context = new (zstd().CCtx)();
  private scratch = Buffer.alloc(0);

  constructor(private readonly level: number) {}

  /** Returns a view of `raw` holding the stored frame: zstd exactly when shorter than the input. */
  compress(raw: Buffer): CompressedFrame {
    const bound = zstd().compressBound(raw.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafe(bound);
    const written = this.context.compress(this.scratch, raw, this.level);
    if (written >= raw.length) return { codec: Codec.Raw, bytes: raw };
    this.scratch.copy(raw, 0, 0, written);
    return { codec: Codec.Zstd, bytes: raw.subarray(0, written) };
  }
}

let sharedContext: InstanceType<typeof ZstdBinding.DCtx> | undefined;

/** Decompresses into `target` (which must hold the whole frame) and returns how many bytes it wrote. */
export function decompressFrameInto(stored: Uint8Array, target: Uint8Array): number {
  sharedContext ??= new (zstd().DCtx)();
  return sharedContext.decompress(target, stored);
}

let sharedDecompressor: Decompressor | undefined;

export function decompressFrame(stored: Buffer): Buffer {
  sharedDecompressor ??= new (zstdApi().Decompressor)();
  return sharedDecompressor.decompress(stored);
}

import type * as ZstdBinding from 'zstd-napi/binding.js';
import { lazyRequire } from '../core/lazy-require.js';
import { Codec } from '../core/vocabulary.js';

// The low-level binding is a native CommonJS module: its functions are not visible as ES named exports.
const zstd = lazyRequire<typeof ZstdBinding>('zstd-napi/binding.js');

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

  constructor(level: number) {
    const { CParameter } = zstd();
    this.context.setParameter(CParameter.compressionLevel, level);
    const tables = MATCH_TABLES_BY_LEVEL[level];
    if (tables) {
      this.context.setParameter(CParameter.hashLog, tables.hashLog);
      this.context.setParameter(CParameter.chainLog, tables.chainLog);
    }
  }

  /** Returns a view of `raw` holding the stored frame: zstd exactly when shorter than the input. */
  compress(raw: Buffer): CompressedFrame {
    const bound = zstd().compressBound(raw.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafe(bound);
    const written = this.context.compress2(this.scratch, raw);
    if (written >= raw.length) return { codec: Codec.Raw, bytes: raw };
    this.scratch.copy(raw, 0, 0, written);
    return { codec: Codec.Zstd, bytes: raw.subarray(0, written) };
  }
}

/**
 * zstd sizes its match tables for inputs of any length: level 3 uses 2^17 hash and 2^16 chain
 * entries. Frames are ~2 MiB, and smaller tables fit the caches better. `node bench/zstd-tables.js`
 * (768 MiB of the bench's tar; bench/results/zstd-tables.md): in 2 MiB frames, hashLog 16 / chainLog
 * 15 took 2.48-2.66 CPU-s against 2.82-2.91 for level 3's own, for 307.41 MB against 304.67 MB; 1 MiB
 * frames at level 3's own took 2.70-2.85 CPU-s for 307.65 MB.
 */
const MATCH_TABLES_BY_LEVEL: Partial<Record<number, { hashLog: number; chainLog: number }>> = { 3: { hashLog: 16, chainLog: 15 } };

let sharedContext: InstanceType<typeof ZstdBinding.DCtx> | undefined;

/** Decompresses into `target` (which must hold the whole frame) and returns how many bytes it wrote. */
export function decompressFrameInto(stored: Uint8Array, target: Uint8Array): number {
  sharedContext ??= new (zstd().DCtx)();
  return sharedContext.decompress(target, stored);
}

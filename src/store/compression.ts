import type * as ZstdBinding from 'zstd-napi/binding.js';
import { lazyRequire } from '../core/lazy-require.js';
import { Codec } from '../core/vocabulary.js';

// The low-level binding is a native CommonJS module: its functions are not visible as ES named exports.
const zstd = lazyRequire<typeof ZstdBinding>('zstd-napi/binding.js');

export interface CompressedFrame {
  codec: Codec;
  bytes: Buffer;
  /** The blob a Delta frame is compressed against. */
  baseId?: Buffer;
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
const MATCH_TABLES_BY_LEVEL: Partial<Record<number, { hashLog: number; chainLog: number }>> = {
  3: { hashLog: 16, chainLog: 15 },
  // gc's level (see gc.ts): its own tables took 55-71 MB a context at levels 15-19 for rxjs's frames
  // (2 MiB); 2^20 each, ~11 MB: rxjs's packs 1713 KiB against 1702 with 2^21 (history-s40.md, runs 4-6 against 1-3).
  16: { hashLog: 20, chainLog: 20 },
};

/**
 * zstd takes a dictionary that starts with its dictionary magic number for a trained dictionary, not
 * raw content: such a base (and one too short to help) is never used for a delta.
 */
const ZSTD_DICTIONARY_MAGIC = 0xec30a437;
const MIN_BASE_BYTES = 64;

export function canBeDeltaBase(base: Uint8Array): boolean {
  return base.length >= MIN_BASE_BYTES && Buffer.from(base.buffer, base.byteOffset, 4).readUInt32LE(0) !== ZSTD_DICTIONARY_MAGIC;
}

/**
 * A blob compressed with an earlier version of it (`base`) as zstd's dictionary, as `zstd
 * --patch-from` does: what the two share costs a few bytes. The window covers base and blob, so a
 * match may reach back anywhere in the base. Returns undefined when that is no smaller than the blob.
 */
export class DeltaCompressor {
  private readonly context = new (zstd().CCtx)();
  private scratch = Buffer.alloc(0);

  constructor(private readonly level: number) {}

  compress(raw: Uint8Array, base: Uint8Array): Buffer | undefined {
    const { CParameter } = zstd();
    this.context.reset(zstd().ResetDirective.sessionAndParameters);
    this.context.setParameter(CParameter.compressionLevel, this.level);
    this.context.setParameter(CParameter.windowLog, windowLogFor(raw.length + base.length));
    this.context.loadDictionary(base);
    const bound = zstd().compressBound(raw.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafe(bound);
    const written = this.context.compress2(this.scratch, raw);
    return written < raw.length ? Buffer.from(this.scratch.subarray(0, written)) : undefined;
  }
}

/** zstd's window for `bytes` (base and blob), within what every decoder here accepts (see below). */
function windowLogFor(bytes: number): number {
  return Math.min(Math.max(Math.ceil(Math.log2(Math.max(bytes, 1))), 10), MAX_WINDOW_LOG);
}
/** 2^27: a 64 MiB chunk and its 64 MiB base. Decoders allow it explicitly (zstd's default limit is 2^27 too). */
const MAX_WINDOW_LOG = 27;

let sharedContext: InstanceType<typeof ZstdBinding.DCtx> | undefined;
let deltaContext: InstanceType<typeof ZstdBinding.DCtx> | undefined;

/**
 * Decompresses into `target` (which must hold the whole frame) and returns how many bytes it wrote;
 * a Delta frame with its base's bytes as `dictionary`.
 */
export function decompressFrameInto(stored: Uint8Array, target: Uint8Array, dictionary?: Uint8Array): number {
  if (dictionary === undefined) {
    sharedContext ??= new (zstd().DCtx)();
    return sharedContext.decompress(target, stored);
  }
  if (deltaContext === undefined) {
    deltaContext = new (zstd().DCtx)();
    deltaContext.setParameter(zstd().DParameter.windowLogMax, MAX_WINDOW_LOG);
  }
  deltaContext.loadDictionary(dictionary);
  return deltaContext.decompress(target, stored);
}

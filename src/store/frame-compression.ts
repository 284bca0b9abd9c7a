import type { WorkerPool } from '../workers/pool.js';
import { FrameCompressor, type CompressedFrame } from './compression.js';
import { Codec } from './pack-format.js';

/**
 * Compresses frames, either on this thread or spread over worker threads. `compress` takes
 * ownership of `raw` and of the ArrayBuffer under it: the caller must not touch either again,
 * except through the returned frame, whose bytes may live in that same ArrayBuffer.
 */
export interface FrameCompression {
  compress(raw: Buffer): Promise<CompressedFrame>;
  close(): Promise<void>;
}

export class InlineCompression implements FrameCompression {
  private readonly compressor: FrameCompressor;

  constructor(level: number) {
    this.compressor = new FrameCompressor(level);
  }

  async compress(raw: Buffer): Promise<CompressedFrame> {
    return this.compressor.compress(raw);
  }

  async close(): Promise<void> {}
}

/** Frames compressed on the threads of a shared worker pool (which the caller closes). */
export class WorkerCompression implements FrameCompression {
  constructor(
    private readonly pool: WorkerPool,
    private readonly level: number,
  ) {}

  async compress(raw: Buffer): Promise<CompressedFrame> {
    // The frame travels to the worker without a copy: we own its ArrayBuffer, so we transfer it.
    const rawLength = raw.length;
    const stored = await this.pool.compress(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), this.level);
    const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    return { codec: bytes.length < rawLength ? Codec.Zstd : Codec.Raw, bytes };
  }

  async close(): Promise<void> {}
}

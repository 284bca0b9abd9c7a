import { FrameCompressor, type CompressedFrame } from './compression.js';

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

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
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

export function defaultJobs(): number {
  return availableParallelism();
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

// The worker is compiled next to this module (dist/workers); tests that run from src use inline compression.
const WORKER_FILE = fileURLToPath(new URL('../workers/compress-worker.js', import.meta.url));

export class WorkerCompression implements FrameCompression {
  private readonly pool: Piscina;

  constructor(
    private readonly level: number,
    threads: number,
  ) {
    this.pool = new Piscina({ filename: WORKER_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  }

  async compress(raw: Buffer): Promise<CompressedFrame> {
    // The frame travels to the worker without a copy: we own its ArrayBuffer, so we transfer it.
    const rawLength = raw.length;
    const view = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    const stored = (await this.pool.run({ raw: view, level: this.level }, { transferList: [raw.buffer as ArrayBuffer] })) as Uint8Array;
    const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    return { codec: bytes.length < rawLength ? Codec.Zstd : Codec.Raw, bytes };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

import { Compressor, Decompressor } from 'zstd-napi';
import { Codec } from './pack-format.js';

export interface CompressedFrame {
  codec: Codec;
  bytes: Buffer;
}

/** zstd at a fixed level; frames that do not shrink are kept raw so reading them costs nothing. */
export class FrameCompressor {
  private readonly compressor = new Compressor();

  constructor(level: number) {
    this.compressor.setParameters({ compressionLevel: level });
  }

  compress(raw: Buffer): CompressedFrame {
    const compressed = this.compressor.compress(raw);
    if (compressed.length >= raw.length) return { codec: Codec.Raw, bytes: raw };
    return { codec: Codec.Zstd, bytes: compressed };
  }
}

let sharedDecompressor: Decompressor | undefined;

export function decompressFrame(stored: Buffer): Buffer {
  sharedDecompressor ??= new Decompressor();
  return sharedDecompressor.decompress(stored);
}

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Blake3Hasher } from '@napi-rs/blake-hash';
import { newHasher } from '../core/hash.js';
import { fsyncDirectory } from '../core/fs-atomic.js';
import { checkInjectedDiskFull } from '../core/fault-injection.js';
import type { CompressedFrame } from './compression.js';
import { encodeFooterAndTrailer, encodePackHeader, type BlobRecord, type BlobType, type FrameRecord } from './pack-format.js';
import { packPath } from './pack-paths.js';

export interface FrameBlob {
  id: Buffer;
  type: BlobType;
  offsetInFrame: number;
  length: number;
}

export interface SealedPack {
  name: string;
  sizeBytes: number;
  frames: FrameRecord[];
  blobs: BlobRecord[];
}

/**
 * Appends frames to a new pack under a temporary name. Only `seal` makes the pack visible: it writes
 * the footer, fsyncs, and renames the file to `packs/xx/<BLAKE3 of its bytes>.pack`. A crash before
 * that leaves only a temporary file, which nothing references.
 */
export class PackWriter {
  private readonly fd: number;
  private readonly temporaryPath: string;
  private readonly hasher: Blake3Hasher = newHasher();
  private readonly frames: FrameRecord[] = [];
  private readonly blobs: BlobRecord[] = [];
  private position = 0;
  private closed = false;

  constructor(
    private readonly packsDirectory: string,
    temporaryDirectory: string,
  ) {
    mkdirSync(temporaryDirectory, { recursive: true });
    this.temporaryPath = join(temporaryDirectory, `pack-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    this.fd = openSync(this.temporaryPath, 'wx', 0o444);
    this.write(encodePackHeader());
  }

  get sizeBytes(): number {
    return this.position;
  }

  get frameCount(): number {
    return this.frames.length;
  }

  appendFrame(frame: CompressedFrame, rawLength: number, blobs: readonly FrameBlob[]): void {
    const frameIndex = this.frames.length;
    this.frames.push({ offset: this.position, storedLength: frame.bytes.length, rawLength, codec: frame.codec });
    for (const blob of blobs) {
      this.blobs.push({ id: blob.id, type: blob.type, frameIndex, offsetInFrame: blob.offsetInFrame, length: blob.length });
    }
    this.write(frame.bytes);
  }

  seal(): SealedPack {
    this.write(encodeFooterAndTrailer({ frames: this.frames, blobs: this.blobs }, this.position));
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    const name = this.hasher.digest('hex');
    const finalPath = packPath(this.packsDirectory, name);
    const shardDirectory = join(finalPath, '..');
    mkdirSync(shardDirectory, { recursive: true });
    renameSync(this.temporaryPath, finalPath);
    fsyncDirectory(shardDirectory);
    return { name, sizeBytes: this.position, frames: this.frames, blobs: this.blobs };
  }

  /** Drops an unsealed pack (after an error): nothing can reference it. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    try {
      unlinkSync(this.temporaryPath);
    } catch {
      // Already gone; a leftover temporary file is harmless and removed by gc.
    }
  }

  private write(bytes: Buffer): void {
    checkInjectedDiskFull(bytes.length);
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(this.fd, bytes, written, bytes.length - written);
    }
    this.hasher.update(bytes);
    this.position += bytes.length;
  }
}


import { closeSync, fchmodSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Blake3Hasher } from '@napi-rs/blake-hash';
import { DirectWriter, openDirectAlso } from '../core/direct-io.js';
import { newHasher } from '../core/hash.js';
import { fsyncAsync, fsyncDirectoryAsync, makeDirectories, writeAllAt, writeAllAtAsync } from '../core/fs-atomic.js';
import { checkInjectedDiskFull } from '../core/fault-injection.js';
import { uniqueToken } from '../core/unique-token.js';
import type { CompressedFrame } from './compression.js';
import { encodeFooterAndTrailer, encodePackHeader } from './pack-format.js';
import { packPath } from './pack-store.js';
import { undoIfAbandoned } from '../core/abandon.js';
import type { BlobRecord, BlobType, FrameRecord, SealedPack } from '../core/vocabulary.js';

export interface FrameBlob {
  id: Buffer;
  type: BlobType;
  offsetInFrame: number;
  length: number;
}

/**
 * Appends frames to a new pack under a temporary name. Only `seal` makes the pack visible: it writes
 * the footer, fsyncs, and renames the file to `packs/xx/<BLAKE3 of its bytes>.pack`. A crash before
 * that leaves only a temporary file, which nothing references.
 *
 * Frames are written on libuv's thread pool (positional writes, several at once) so that the thread
 * that chunks and hashes does not wait for the page cache: copying 860 MB of frames into it took
 * ~1.9 s of the main thread's time in a 2 GiB add. The pack's hash is still taken in order, here.
 * Where the file system allows it they go around the page cache (a pack is fsynced at once anyway):
 * see direct-io.ts.
 */
export class PackWriter {
  private readonly fd: number;
  private readonly directFd: number | undefined;
  private readonly direct: DirectWriter | undefined;
  private readonly temporaryPath: string;
  private readonly hasher: Blake3Hasher = newHasher();
  private readonly frames: FrameRecord[] = [];
  private readonly blobs: BlobRecord[] = [];
  private position = 0;
  private closed = false;
  private readonly writing = new Set<Promise<void>>();
  private writeError: unknown;

  private readonly packsDirectory: string;
  private readonly forget: () => void;
  private readonly fileMode: number;
  private readonly directoryMode: number;

  constructor(place: { packsDirectory: string; temporaryDirectory: string; fileMode: number; directoryMode: number; packFlags?: number }) {
    ({ packsDirectory: this.packsDirectory, fileMode: this.fileMode, directoryMode: this.directoryMode } = place);
    makeDirectories(place.temporaryDirectory, this.directoryMode);
    this.temporaryPath = join(place.temporaryDirectory, `pack-${process.pid}-${uniqueToken(12)}.tmp`);
    // Writable until sealed, so that a second, O_DIRECT descriptor can open it.
    this.fd = openSync(this.temporaryPath, 'wx', this.fileMode);
    const temporaryPath = this.temporaryPath;
    this.forget = undoIfAbandoned(() => unlinkSync(temporaryPath));
    fchmodSync(this.fd, this.fileMode);
    this.directFd = openDirectAlso(this.temporaryPath);
    this.direct = this.directFd === undefined ? undefined : new DirectWriter(this.directFd, this.fd, writeAllAtAsync);
    this.write(encodePackHeader(place.packFlags));
  }

  get blobCount(): number {
    return this.blobs.length;
  }

  get sizeBytes(): number {
    return this.position;
  }

  get frameCount(): number {
    return this.frames.length;
  }

  /**
   * Starts writing a frame; the promise settles when its bytes are in the file (the caller must not
   * reuse `frame.bytes` before). A failed write fails this pack: later appends and `seal` throw it.
   */
  appendFrame(frame: CompressedFrame, rawLength: number, blobs: readonly FrameBlob[]): Promise<void> {
    if (this.writeError !== undefined) throw this.writeError;
    const frameIndex = this.frames.length;
    this.frames.push({ offset: this.position, storedLength: frame.bytes.length, rawLength, codec: frame.codec, baseId: frame.baseId });
    for (const blob of blobs) {
      this.blobs.push({ id: blob.id, type: blob.type, frameIndex, offsetInFrame: blob.offsetInFrame, length: blob.length });
    }
    checkInjectedDiskFull(frame.bytes.length);
    const position = this.position;
    this.hasher.update(frame.bytes);
    this.position += frame.bytes.length;
    return this.track(this.direct ? this.direct.write(frame.bytes) : writeAllAtAsync(this.fd, frame.bytes, position));
  }

  /** Keeps a write until it settles; its failure fails the pack. */
  private track(writing: Promise<void>): Promise<void> {
    const written = writing.catch((error: unknown) => {
      this.writeError ??= error;
    });
    this.writing.add(written);
    return written.finally(() => this.writing.delete(written));
  }

  /** Waits for the frame writes still running; throws the first that failed. */
  private async settle(): Promise<void> {
    await Promise.all(this.writing);
    if (this.writeError !== undefined) throw this.writeError;
  }

  async seal(): Promise<SealedPack> {
    this.write(encodeFooterAndTrailer({ frames: this.frames, blobs: this.blobs }, this.position));
    await this.settle();
    await this.direct?.finish();
    fchmodSync(this.fd, this.fileMode & 0o444); // sealed: read-only for whoever could read it
    await fsyncAsync(this.fd);
    this.closeDescriptors();
    const name = this.hasher.digest('hex');
    const finalPath = packPath(this.packsDirectory, name);
    const shardDirectory = join(finalPath, '..');
    makeDirectories(shardDirectory, this.directoryMode);
    renameSync(this.temporaryPath, finalPath);
    this.forget();
    await fsyncDirectoryAsync(shardDirectory);
    return { name, sizeBytes: this.position, frames: this.frames, blobs: this.blobs };
  }

  /** Drops an unsealed pack (after an error): nothing can reference it. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.writing); // no write may land in a closed (or reused) descriptor
    await this.direct?.abort();
    this.closeDescriptors();
    this.forget();
    try {
      unlinkSync(this.temporaryPath);
    } catch {
      // Already gone; a leftover temporary file is harmless and removed by gc.
    }
  }

  /** The header and the footer: small, so written here (through the direct writer's buffer, if any). */
  private write(bytes: Buffer): void {
    checkInjectedDiskFull(bytes.length);
    if (this.direct) void this.track(this.direct.write(bytes));
    else writeAllAt(this.fd, bytes, this.position);
    this.hasher.update(bytes);
    this.position += bytes.length;
  }

  private closeDescriptors(): void {
    this.closed = true;
    closeSync(this.fd);
    if (this.directFd !== undefined) closeSync(this.directFd);
  }
}

import type { Catalog, CommitRow, FileRow } from '../catalog/catalog.js';
import { FrameCompressor } from './compression.js';
import type { BlobType } from './pack-format.js';
import { PackWriter, type FrameBlob } from './pack-writer.js';

export interface BlobWriterOptions {
  packsDirectory: string;
  temporaryDirectory: string;
  zstdLevel: number;
  frameTargetBytes: number;
  packTargetBytes: number;
}

export interface BlobWriterTotals {
  newBlobCount: number;
  newRawBytes: number;
  storedBytes: number;
  packsWritten: number;
}

/**
 * Deduplicates blobs against the catalog and against what this writer holds but has not yet
 * indexed (the pending set: a blob is written once even if two files bring it at once), groups new
 * blobs into frames of about `frameTargetBytes`, compresses each frame, and seals packs of about
 * `packTargetBytes`. Each sealed pack is indexed in one catalog transaction together with the file
 * maps and commits whose blobs it holds.
 */
export class BlobWriter {
  private readonly compressor: FrameCompressor;
  private pack: PackWriter | undefined;
  private frameBuffer = Buffer.allocUnsafe(0);
  private frameLength = 0;
  private frameBlobs: FrameBlob[] = [];
  private readonly pendingBlobs = new Set<string>();
  private readonly pendingFileIds = new Set<string>();
  private pendingFiles: FileRow[] = [];
  private pendingCommits: CommitRow[] = [];
  readonly totals: BlobWriterTotals = { newBlobCount: 0, newRawBytes: 0, storedBytes: 0, packsWritten: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly options: BlobWriterOptions,
  ) {
    this.compressor = new FrameCompressor(options.zstdLevel);
  }

  hasBlob(id: Buffer): boolean {
    return this.pendingBlobs.has(id.toString('latin1')) || this.catalog.hasBlob(id);
  }

  hasFile(fileId: Buffer): boolean {
    return this.pendingFileIds.has(fileId.toString('latin1')) || this.catalog.file(fileId) !== undefined;
  }

  /** Stores `bytes` under `id` unless the repository already has it; returns whether it was new. */
  addBlob(type: BlobType, id: Buffer, bytes: Uint8Array): boolean {
    if (this.hasBlob(id)) return false;
    this.pendingBlobs.add(id.toString('latin1'));
    this.ensureFrameCapacity(bytes.length);
    this.frameBuffer.set(bytes, this.frameLength);
    this.frameBlobs.push({ id, type, offsetInFrame: this.frameLength, length: bytes.length });
    this.frameLength += bytes.length;
    this.totals.newBlobCount++;
    this.totals.newRawBytes += bytes.length;
    if (this.frameLength >= this.options.frameTargetBytes) this.flushFrame();
    return true;
  }

  /** Indexes a file map with the pack that holds its blob. */
  addFile(row: FileRow): void {
    const key = row.id.toString('latin1');
    if (this.pendingFileIds.has(key)) return;
    this.pendingFileIds.add(key);
    this.pendingFiles.push(row);
  }

  addCommit(row: CommitRow): void {
    this.pendingCommits.push(row);
  }

  /** Writes what is buffered, seals the open pack and indexes it. */
  finish(): void {
    this.flushFrame();
    this.sealPack();
    if (this.pendingFiles.length > 0 || this.pendingCommits.length > 0) {
      // Only rows whose blobs were all deduplicated are left: index them without a pack.
      this.catalog.recordRows({ files: this.pendingFiles, commits: this.pendingCommits });
      this.pendingFiles = [];
      this.pendingCommits = [];
    }
  }

  abort(): void {
    this.pack?.abort();
    this.pack = undefined;
  }

  private ensureFrameCapacity(extra: number): void {
    const needed = this.frameLength + extra;
    if (needed <= this.frameBuffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.options.frameTargetBytes * 2));
    this.frameBuffer.copy(grown, 0, 0, this.frameLength);
    this.frameBuffer = grown;
  }

  private flushFrame(): void {
    if (this.frameLength === 0) return;
    const raw = this.frameBuffer.subarray(0, this.frameLength);
    const compressed = this.compressor.compress(raw);
    // A raw frame still points into the reusable frame buffer: copy before the buffer is refilled.
    const frame = compressed.bytes === raw ? { codec: compressed.codec, bytes: Buffer.from(raw) } : compressed;
    this.pack ??= new PackWriter(this.options.packsDirectory, this.options.temporaryDirectory);
    this.pack.appendFrame(frame, this.frameLength, this.frameBlobs);
    this.totals.storedBytes += frame.bytes.length;
    this.frameLength = 0;
    this.frameBlobs = [];
    if (this.pack.sizeBytes >= this.options.packTargetBytes) this.sealPack();
  }

  private sealPack(): void {
    const pack = this.pack;
    if (pack === undefined) return;
    this.pack = undefined;
    const sealed = pack.seal();
    this.catalog.recordPack(sealed, { files: this.pendingFiles, commits: this.pendingCommits });
    this.totals.packsWritten++;
    this.pendingBlobs.clear();
    this.pendingFileIds.clear();
    this.pendingFiles = [];
    this.pendingCommits = [];
  }
}

import type { Catalog, CommitRow, FileRow } from '../catalog/catalog.js';
import { canBeDeltaBase, DeltaCompressor, type CompressedFrame } from './compression.js';
import type { FrameCompression } from './frame-compression.js';
import { PackWriter, type FrameBlob } from './pack-writer.js';
import { type BlobLocation, type BlobType, Codec, MAX_DELTA_DEPTH, type SealedPack } from '../core/vocabulary.js';
import { IdSlab } from '../core/id-slab.js';
import { CorruptionError } from '../core/errors.js';

export interface BlobWriterOptions {
  packsDirectory: string;
  temporaryDirectory: string;
  /** Modes of what is written inside the repository (see RepositoryLayout). */
  fileMode: number;
  directoryMode: number;
  frameTargetBytes: number;
  packTargetBytes: number;
  /** Largest single blob expected (the maximum chunk size), to size frame buffers once. */
  maxBlobBytes: number;
  compression: FrameCompression;
  /** Frames compressing at once; bounds memory to about this many frames (raw + compressed). */
  maxFramesInFlight: number;
  /** Write blobs even if the catalog has them, and point the catalog at the new copies (gc). */
  relocate?: boolean;
  /** Reads a blob the catalog has, verified: a delta's base. Without it, no blob is stored as a delta. */
  readBlob?: (location: BlobLocation) => Buffer;
  /** Whether reading a base now costs no frame decompression (see COLD_BASE_READS). */
  isBaseCheap?: (location: BlobLocation) => boolean;
  /** The repository's zstd level, for deltas (compressed here, on this thread). */
  compressionLevel: number;
  /** How many deltas deep a chain may grow (at most MAX_DELTA_DEPTH, which readers enforce). */
  deltaDepth: number;
  /** Written in each pack's header (see PackFlags). */
  packFlags?: number;
}

/**
 * A delta is kept only when it is at most this share of the blob: a base that helps little is not
 * worth a frame of its own and a read of the base at every read.
 */
const DELTA_MAX_SHARE = 0.5;

/**
 * Bases whose frames must be decompressed for them (~2 MiB each, a few ms) that one writer reads at
 * most; past it, only bases that are cheap to read are used. Without a bound, add + commit of a 1%
 * change of bench/run.js's small tree (~120 files of ~20 KB, each base in a frame of its own) took
 * 1.64 s against 1.04 s before deltas (results/run-issue19.md): the first changed files of a
 * command still get deltas, a history's (whose bases share a few frames) nearly all.
 */
const COLD_BASE_READS = 16;

export interface BlobWriterTotals {
  newBlobCount: number;
  newRawBytes: number;
  storedBytes: number;
  packsWritten: number;
  /** The sealed packs' sizes, headers and footers included. */
  packBytes: number;
}

interface FrameInFlight {
  /** Undefined for an entry that only carries rows (their blobs were deduplicated), kept in order. */
  compressed: Promise<CompressedFrame> | undefined;
  rawLength: number;
  blobs: FrameBlob[];
  files: FileRow[];
  commits: CommitRow[];
}

/**
 * A pack is sealed at this many blobs, whatever its size: until it is sealed and indexed, each of its
 * blobs is held as records (an object, its id and its pending key), and 128 MiB of small files'
 * chunks are ~500,000 of them. Measured by hand on bench/scale.js's tree of 1,000,000 files, a first
 * add: 976 MB with packs of 128 MiB alone, 351 MB at 65,536 blobs, 283 MB at 16,384.
 */
export const PACK_MAX_BLOBS = 16_384;

/** Frame writes running at once: enough to keep the disk busy, few enough to bound memory. */
const MAX_FRAMES_WRITING = 4;

/**
 * Deduplicates blobs against the catalog and against what this writer holds but has not yet indexed
 * (the pending set: a blob is written once even if two files bring it at the same moment), groups new
 * blobs into frames of about `frameTargetBytes`, compresses frames (possibly on worker threads, several
 * at once), appends them to the pack in order, and seals packs of about `packTargetBytes`. Each sealed
 * pack is indexed in one catalog transaction with the file maps and commits whose blobs it holds.
 */
export class BlobWriter {
  private pack: PackWriter | undefined;
  private frameBuffer: Buffer;
  private frameLength = 0;
  private frameBlobs: FrameBlob[] = [];
  private frameFiles: FileRow[] = [];
  private frameCommits: CommitRow[] = [];
  private readonly inFlight: FrameInFlight[] = [];
  /** Frames handed to the pack whose writes may still be running (see PackWriter.appendFrame). */
  private readonly writing: Promise<void>[] = [];
  /** Frame buffers whose frames are written: reused rather than allocated (and zero-filled) again. */
  private readonly spareFrameBuffers: ArrayBuffer[] = [];
  private readonly pendingBlobs = new Set<string>();
  private readonly pendingFileIds = new Set<string>();
  private packFiles: FileRow[] = [];
  private packCommits: CommitRow[] = [];
  /**
   * The pack being sealed while frames go on into the next one (its fsync took ~0.4 s of a 2 GiB
   * add on this thread). One at a time, in order; its failure is thrown at the next seal or finish.
   */
  private sealing: Promise<void> | undefined;
  readonly totals: BlobWriterTotals = { newBlobCount: 0, newRawBytes: 0, storedBytes: 0, packsWritten: 0, packBytes: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly options: BlobWriterOptions,
  ) {
    this.frameBuffer = this.newFrameBuffer();
  }

  hasBlob(id: Buffer): boolean {
    return this.pendingBlobs.has(id.toString('latin1')) || (!this.options.relocate && this.catalog.hasBlob(id));
  }

  hasFile(fileId: Buffer): boolean {
    return this.pendingFileIds.has(fileId.toString('latin1')) || this.catalog.file(fileId) !== undefined;
  }

  /**
   * Stores `bytes` under `id` unless the repository already has (or is storing) it; returns whether
   * it was new. `givenUp`: the caller will not touch `bytes` again, so a blob larger than a frame
   * that is its buffer's only content becomes its frame uncopied (compression may take the buffer).
   * `deltaBase`: the id of an earlier version to store it against (see addDelta), asked only for a new
   * blob; `baseBytes`: that version's bytes, when the caller has read them (verified) already.
   */
  addBlob(
    type: BlobType,
    givenId: Buffer,
    bytes: Uint8Array,
    options: { givenUp?: boolean; deltaBase?: () => Buffer | undefined; baseBytes?: Buffer } = {},
  ): boolean {
    if (this.hasBlob(givenId)) return false;
    const id = this.keptIds.keep(givenId);
    this.pendingBlobs.add(id.toString('latin1'));
    const baseId = options.deltaBase?.();
    if (baseId !== undefined && this.addDelta(type, id, bytes, baseId, options.baseBytes)) return true;
    if (this.frameLength + bytes.length > this.frameBuffer.length) this.flushFrame();
    if (bytes.length > this.frameBuffer.length) {
      // A frame of its own (a commit's times at 1,000,000 files: 8 MB; copied, they peaked 16 MB higher).
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      this.frameBuffer = options.givenUp && whole ? Buffer.from(bytes.buffer, 0, bytes.length) : Buffer.from(new ArrayBuffer(bytes.length));
    }
    if (this.frameBuffer.buffer !== bytes.buffer) this.frameBuffer.set(bytes, this.frameLength);
    this.frameBlobs.push({ id, type, offsetInFrame: this.frameLength, length: bytes.length });
    this.frameLength += bytes.length;
    this.totals.newBlobCount++;
    this.totals.newRawBytes += bytes.length;
    if (this.frameLength >= this.options.frameTargetBytes) this.flushFrame();
    return true;
  }

  /**
   * Stores the blob as a frame of its own, compressed against the blob `baseId` (which the catalog
   * has, so it is sealed) when that is worth it: false if not, and the blob goes the usual way.
   * The chain of bases stays within `deltaDepth`: past it, the blob is stored whole.
   */
  private addDelta(type: BlobType, id: Buffer, bytes: Uint8Array, baseId: Buffer, given: Buffer | undefined): boolean {
    if (this.options.readBlob === undefined || this.options.relocate) return false;
    const location = this.catalog.blobLocation(baseId);
    if (location === undefined || deltaDepth(this.catalog.withBases(location)) >= this.options.deltaDepth) return false;
    const baseBytes = given ?? this.readBase(location);
    if (baseBytes === undefined || !canBeDeltaBase(baseBytes)) return false;
    this.deltaCompressor ??= new DeltaCompressor(this.options.compressionLevel);
    const stored = this.deltaCompressor.compress(bytes, baseBytes);
    if (stored === undefined || stored.length > bytes.length * DELTA_MAX_SHARE) return false;
    this.inFlight.push({
      compressed: Promise.resolve({ codec: Codec.Delta, bytes: stored, baseId: location.id }),
      rawLength: bytes.length,
      blobs: [{ id, type, offsetInFrame: 0, length: bytes.length }],
      files: [],
      commits: [],
    });
    this.totals.newBlobCount++;
    this.totals.newRawBytes += bytes.length;
    return true;
  }

  /**
   * Copies a frame as it is stored, its blobs not compressed again and a delta still naming its base
   * (gc joining packs): the caller has read each of its blobs, verified, and none is stored yet.
   */
  addStoredFrame(frame: { codec: Codec; bytes: Buffer; rawLength: number; baseId?: Buffer; blobs: readonly FrameBlob[] }): void {
    this.flushFrame();
    const blobs = frame.blobs.map((blob) => {
      const id = this.keptIds.keep(blob.id);
      this.pendingBlobs.add(id.toString('latin1'));
      return { ...blob, id };
    });
    this.inFlight.push({
      compressed: Promise.resolve({ codec: frame.codec, bytes: frame.bytes, baseId: frame.baseId }),
      rawLength: frame.rawLength,
      blobs,
      files: [],
      commits: [],
    });
    this.totals.newBlobCount += blobs.length;
    this.totals.newRawBytes += frame.rawLength;
  }

  /** A base's bytes, or undefined when it is not worth reading (see COLD_BASE_READS) or is damaged. */
  private readBase(location: BlobLocation): Buffer | undefined {
    if (this.options.isBaseCheap?.(location) === false) {
      if (this.coldBaseReads >= COLD_BASE_READS) return undefined;
      this.coldBaseReads++;
    }
    try {
      return this.options.readBlob!(location);
    } catch (error) {
      // A damaged earlier version is no base: the new one, read whole, is stored whole (verify names the damage).
      if (error instanceof CorruptionError) return undefined;
      throw error;
    }
  }

  private deltaCompressor: DeltaCompressor | undefined;
  private coldBaseReads = 0;

  /** The ids of the records kept until the pack is indexed (see IdSlab). */
  private readonly keptIds = new IdSlab();

  /** Indexes a file map together with the pack that holds its blob (add the blob first). */
  addFile(row: FileRow): void {
    const key = row.id.toString('latin1');
    if (this.pendingFileIds.has(key)) return;
    this.pendingFileIds.add(key);
    this.frameFiles.push(row);
  }

  addCommit(row: CommitRow): void {
    this.frameCommits.push(row);
  }

  /** Waits until at most `maxFramesInFlight` frames are compressing: call between units of work. */
  async drain(limit = this.options.maxFramesInFlight): Promise<void> {
    while (this.inFlight.length > limit) await this.appendOldestFrame();
  }

  /** Writes everything buffered, seals the open pack and indexes it. */
  async finish(): Promise<void> {
    this.flushFrame();
    await this.drain(0);
    await this.waitForSealing();
    await this.sealPack({ last: true });
    if (this.packFiles.length > 0 || this.packCommits.length > 0) {
      // Rows whose blobs were all deduplicated: index them without a pack.
      this.catalog.recordRows({ files: this.packFiles, commits: this.packCommits });
      this.packFiles = [];
      this.packCommits = [];
    }
    await this.options.compression.close();
  }

  /** Drops what is not sealed (after an error): nothing references an unsealed pack. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight.map((frame) => frame.compressed ?? Promise.resolve()));
    this.inFlight.length = 0;
    await this.sealing?.catch(() => undefined); // a pack sealed meanwhile is complete, merely unreferenced
    await this.pack?.abort();
    this.pack = undefined;
    await this.options.compression.close();
  }

  private newFrameBuffer(): Buffer {
    // Each frame gets an ArrayBuffer of its own: compression takes it over (and may move it to a worker).
    const spare = this.spareFrameBuffers.pop();
    return Buffer.from(spare ?? new ArrayBuffer(this.options.frameTargetBytes + this.options.maxBlobBytes));
  }

  private flushFrame(): void {
    if (this.frameLength === 0 && this.frameFiles.length === 0 && this.frameCommits.length === 0) return;
    const raw = this.frameBuffer.subarray(0, this.frameLength);
    this.inFlight.push({
      compressed: this.frameLength === 0 ? undefined : this.options.compression.compress(raw),
      rawLength: this.frameLength,
      blobs: this.frameBlobs,
      files: this.frameFiles,
      commits: this.frameCommits,
    });
    this.frameBuffer = this.newFrameBuffer();
    this.frameLength = 0;
    this.frameBlobs = [];
    this.frameFiles = [];
    this.frameCommits = [];
  }

  private async appendOldestFrame(): Promise<void> {
    const frame = this.inFlight[0]!;
    const compressed = await frame.compressed;
    this.inFlight.shift();
    if (compressed !== undefined) {
      this.pack ??= new PackWriter(this.options);
      const written = this.pack.appendFrame(compressed, frame.rawLength, frame.blobs);
      this.totals.storedBytes += compressed.bytes.length;
      // The buffer is reused once its bytes are in the file; a bounded number of writes run at once.
      this.writing.push(written.then(() => this.recycle(compressed.bytes)));
      if (this.writing.length > MAX_FRAMES_WRITING) await this.writing.shift();
    }
    this.packFiles.push(...frame.files);
    this.packCommits.push(...frame.commits);
    if (this.pack !== undefined && (this.pack.sizeBytes >= this.options.packTargetBytes || this.pack.blobCount >= PACK_MAX_BLOBS)) {
      await this.waitForSealing();
      this.sealing = this.sealPack();
      this.sealing.catch(() => undefined); // awaited later; not an unhandled rejection meanwhile
    }
  }

  private async waitForSealing(): Promise<void> {
    const sealing = this.sealing;
    this.sealing = undefined;
    await sealing;
  }

  private recycle(bytes: Buffer): void {
    const buffer = bytes.buffer;
    const expectedBytes = this.options.frameTargetBytes + this.options.maxBlobBytes;
    if (
      buffer instanceof ArrayBuffer &&
      buffer.byteLength === expectedBytes &&
      this.spareFrameBuffers.length < this.options.maxFramesInFlight + MAX_FRAMES_WRITING + 2
    ) {
      this.spareFrameBuffers.push(buffer);
    }
  }

  /**
   * Seals the open pack and indexes it with the rows that came with its frames. After the `last`
   * pack nothing is pending: the sets are cleared, not emptied key by key (re-deriving the keys of
   * 24,000 blobs and files took ~50 ms of a 12,000-file add).
   */
  private async sealPack(options: { last?: boolean } = {}): Promise<void> {
    const pack = this.pack;
    if (pack === undefined) return;
    // Taken now: frames appended while this pack seals belong to the next.
    const files = this.packFiles;
    const commits = this.packCommits;
    const writes = this.writing.splice(0);
    this.pack = undefined;
    this.packFiles = [];
    this.packCommits = [];
    let sealed: SealedPack;
    try {
      sealed = await pack.seal();
    } catch (error) {
      await pack.abort(); // its descriptors and temporary file, unless the seal got past closing them
      throw error;
    }
    await Promise.all(writes);
    this.catalog.recordPack(sealed, { files, commits }, { relocate: this.options.relocate });
    this.totals.packsWritten++;
    this.totals.packBytes += sealed.sizeBytes;
    if (options.last) {
      this.pendingBlobs.clear();
      this.pendingFileIds.clear();
      return;
    }
    // Everything sealed so far is now in the catalog; what is still in flight stays pending.
    for (const blob of sealed.blobs) this.pendingBlobs.delete(blob.id.toString('latin1'));
    for (const file of files) this.pendingFileIds.delete(file.id.toString('latin1'));
  }
}

/** How many deltas deep a blob lies (its chain resolved: see Catalog.withBases): 0 for a whole blob, 1 for a delta of a whole one. */
function deltaDepth(location: BlobLocation): number {
  let depth = 0;
  for (let at = location; at.basePrefix !== undefined; depth++) {
    if (at.base === undefined) return MAX_DELTA_DEPTH; // a base missing, or past the bound: no delta on it
    at = at.base;
  }
  return depth;
}

/**
 * The words several floors share (as restic keeps its in one package): what blobs are, how frames are
 * stored and where a blob lies, the kinds of tree entries, chunking parameters and the format's size
 * limits. Plain types and constants only: everything else imports this, and it imports nothing.
 */

/** What a blob holds. Every blob's id is the BLAKE3 of its raw bytes (a tree's: the Merkle root of its entries). */
export enum BlobType {
  Chunk = 1,
  FileMap = 2,
  Tree = 3,
  Commit = 4,
  /** Modification times of a commit's files (see objects/file-times.ts). */
  FileTimes = 5,
  /** Permission bits and hard-link groups of a commit's files and directories (see objects/file-modes.ts). */
  FileModes = 6,
}

/** How a frame is stored in a pack. */
export enum Codec {
  Raw = 0,
  Zstd = 1,
  /** One zstd frame compressed with another blob's bytes (its base) as a raw-content dictionary (format 5). */
  Delta = 2,
}

/**
 * A delta's base may itself be a delta, this many deep at most (format 6; 8 in format 5): reading a
 * blob then decompresses at most this many frames more. Writers start a new chain (a whole blob)
 * instead of going deeper (config `deltaDepth`, this by default); a reader refuses a deeper chain (or
 * a loop) as damage. 32 rather than 8: every chain of rxjs's 20 releases restarted twice, and those
 * whole copies were 0.35 MiB of a 4.0 MiB repository (bench/results/history-s39.md).
 */
export const MAX_DELTA_DEPTH = 32;

/** The kinds of tree entries (and of staged files: all but Directory). */
export enum EntryKind {
  File = 1,
  Executable = 2,
  Symlink = 3,
  Directory = 4,
}

/** Where a blob lies: its pack, its frame (offset, lengths, codec) and its place in the frame's raw bytes. */
export interface BlobLocation {
  id: Buffer;
  type: BlobType;
  packName: string;
  frameOffset: number;
  frameStoredLength: number;
  frameRawLength: number;
  codec: Codec;
  offsetInFrame: number;
  length: number;
  /**
   * A Delta frame's base: the start of its id (the catalog keeps BASE_PREFIX_BYTES of it; a whole id
   * is a prefix too), and where it lies when resolved already (for a worker, which has no catalog).
   */
  basePrefix?: Buffer;
  base?: BlobLocation;
}

export interface FrameRecord {
  offset: number;
  storedLength: number;
  rawLength: number;
  codec: Codec;
  /** The id of the blob a Delta frame was compressed against. */
  baseId?: Buffer;
}

export interface BlobRecord {
  id: Buffer;
  type: BlobType;
  frameIndex: number;
  offsetInFrame: number;
  length: number;
}

/** A pack as sealed: its name (the BLAKE3 of the file), size and footer. */
export interface SealedPack {
  name: string;
  sizeBytes: number;
  frames: FrameRecord[];
  blobs: BlobRecord[];
}

export interface ChunkingParameters {
  minBytes: number;
  avgBytes: number;
  maxBytes: number;
}

/** The format's limit on one chunk (the largest MAX that init accepts): a file map naming a longer one is damaged. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * The format's limits on frames: a frame gathers chunks up to its target (at most 64 MiB) and may end
 * with one more chunk (at most 64 MiB), so no frame holds more than 128 MiB raw. A footer naming a
 * larger frame is damaged; no reader allocates more than this for one frame.
 */
export const MAX_FRAME_TARGET_BYTES = 64 * 1024 * 1024;
export const MAX_FRAME_RAW_BYTES = 2 * MAX_FRAME_TARGET_BYTES;

/** How many whole frames of `frameTargetBytes` make about `bytes`, at least one: limits set in bytes. */
export function framesIn(bytes: number, frameTargetBytes: number): number {
  return Math.max(1, Math.round(bytes / frameTargetBytes));
}

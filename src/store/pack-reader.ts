import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CorruptionError, errnoCode } from '../core/errors.js';
import { decompressFrameInto } from './compression.js';
import { checkPackHeader, decodeFooter, decodeTrailer, PACK_HEADER_BYTES, packHeaderFlags, PACK_TRAILER_BYTES, type PackFooter } from './pack-format.js';
import { packPath } from './pack-store.js';
import { verifyBlob } from './blob-verify.js';
import type { MerkleGroupMemo } from '../objects/tree.js';
import { type BlobLocation, BlobType, Codec, MAX_DELTA_DEPTH, MAX_FRAME_RAW_BYTES } from '../core/vocabulary.js';

type FrameToUnpack = Pick<BlobLocation, 'packName' | 'frameOffset' | 'frameRawLength' | 'codec'>;

/**
 * Unpacks a stored frame into `out` (which must hold the recorded raw length) and checks its length;
 * damage is a CORRUPT_PACK error naming the frame. The one unpacking of frames, on any thread: a zstd
 * frame is decompressed into the recorded length only, so a frame that declares or holds more is an
 * error, never a larger allocation. Returns the raw length.
 */
export function unpackFrameInto(stored: Buffer, out: Buffer, frame: FrameToUnpack, dictionary?: Uint8Array): number {
  const fail = (what: string, cause?: unknown): never => {
    throw new CorruptionError('CORRUPT_PACK', `pack ${frame.packName}: frame at offset ${frame.frameOffset} ${what}`, { cause });
  };
  if (!Number.isSafeInteger(frame.frameRawLength) || frame.frameRawLength < 0 || frame.frameRawLength > MAX_FRAME_RAW_BYTES) {
    fail(`claims ${frame.frameRawLength} bytes, more than the format allows`);
  }
  if ((frame.codec === Codec.Delta) !== (dictionary !== undefined)) fail(frame.codec === Codec.Delta ? 'is a delta read without its base' : 'is not a delta');
  let rawLength = 0;
  if (frame.codec === Codec.Raw) rawLength = stored.copy(out, 0);
  else {
    try {
      rawLength = decompressFrameInto(stored, out.subarray(0, frame.frameRawLength), dictionary);
    } catch (error) {
      fail(`does not decompress: ${(error as Error).message}`, error);
    }
  }
  if (rawLength !== frame.frameRawLength) fail(`has ${rawLength} bytes, expected ${frame.frameRawLength}`);
  return rawLength;
}

/** `unpackFrameInto` a buffer of its own (a raw frame is its stored bytes). */
export function unpackFrame(stored: Buffer, frame: FrameToUnpack, dictionary?: Uint8Array): Buffer {
  if (frame.codec === Codec.Raw) {
    if (stored.length !== frame.frameRawLength) {
      throw new CorruptionError(
        'CORRUPT_PACK',
        `pack ${frame.packName}: frame at offset ${frame.frameOffset} has ${stored.length} bytes, expected ${frame.frameRawLength}`,
      );
    }
    return stored;
  }
  const raw = Buffer.allocUnsafe(Math.min(Math.max(frame.frameRawLength, 0), MAX_FRAME_RAW_BYTES));
  unpackFrameInto(stored, raw, frame, dictionary);
  return raw;
}

/**
 * Decompressed frames kept for reuse. A file's consecutive chunks usually share a frame, and the
 * trees of a commit share a few frames that a walk visits in turn (with one frame kept, a status of
 * a 12,000-file tree decompressed its two tree frames hundreds of times; four kept, it took as long
 * as with eight).
 */
const DEFAULT_CACHED_FRAMES = 4;

/**
 * Frames up to this size are cached, and decompressed into buffers the reader reuses (their stored
 * bytes read into one it reuses): a new 2 MiB buffer per frame waited for a collector that seldom
 * ran, and the freed memory stayed with the process (checkout -o of the 12,000-file tree peaked
 * ~150 MB higher: `node bench/compare-builds.js` against a build before a1eb358). A larger frame
 * (one large blob: a commit's times at 1,000,000 files are 8 MB) is read alone into buffers of its
 * own, kept by no one: cached, a switch at 1,000,000 files held the times and modes twice over
 * (~32 MB) through its whole walk.
 */
const CACHED_FRAME_MAX_BYTES = 4 * 1024 * 1024;

function isCachedSize(location: BlobLocation): boolean {
  return location.frameRawLength <= CACHED_FRAME_MAX_BYTES && location.frameStoredLength <= CACHED_FRAME_MAX_BYTES;
}

const EMPTY_BUFFER = Buffer.alloc(0);

/** A frame this small costs little to read whatever the cache holds. */
const SMALL_FRAME_BYTES = 256 * 1024;

/** A delta frame too large for the cache of delta frames: unpacked into the two buffers kept for these (see readLargeDeltaFrame). */
function isLargeDelta(location: BlobLocation): boolean {
  return location.codec === Codec.Delta && location.frameRawLength > SMALL_FRAME_BYTES;
}

/**
 * Delta frames kept unpacked: two chains of format 5's depth. Not tied to MAX_DELTA_DEPTH: each
 * buffer over 4 KiB is a 256 KiB step (a tree delta of ~55 KB takes one), so 64 of them held 16 MB
 * in each reader. A longer chain read again from its start unpacks its deepest links again; a
 * chain is read up from its whole blob, so a link's base is always the most recently used entry,
 * never the one reused.
 */
const CACHED_DELTA_FRAMES = 16;

/** Below this, a delta frame's buffer comes from Node's shared pool (Buffer.poolSize / 2): nothing to reuse. */
const POOLED_BYTES = 4 * 1024;

/** Reused buffers grow in these steps, so frames of slightly different sizes share them. */
const REUSED_BUFFER_STEP = 256 * 1024;

/** Reads blobs out of sealed packs, verifying every one against its id. */
export class PackReader {
  private readonly openPacks = new Map<string, number>();
  /** Least recently used first (a Map keeps insertion order). */
  private readonly cachedFrames = new Map<string, Buffer>();
  private readonly cachedDeltas = new Map<string, Buffer>();
  private storedScratch = Buffer.alloc(0);
  private readonly largeDeltaBuffers = [Buffer.alloc(0), Buffer.alloc(0)];
  /** The memory of the frame buffers this reader allocated, the only ones it may unpack another frame into. */
  private readonly ownMemory = new WeakSet<ArrayBufferLike>();
  /**
   * `maxCachedFrames`: how many decompressed frames to keep (a reader that reads each file's chunks
   * in turn needs few). `treeMemo`: Merkle group roots known to the repository, to verify trees with
   * fewer hashes (see verifyBlob).
   */
  constructor(
    private readonly packsDirectory: string,
    private readonly maxCachedFrames = DEFAULT_CACHED_FRAMES,
    private readonly treeMemo?: MerkleGroupMemo,
    /** Where a delta's base lies (the catalog); a reader without one reads only deltas whose locations carry their bases. */
    private readonly locateBase?: (delta: BlobLocation) => BlobLocation | undefined,
  ) {}

  close(): void {
    for (const fd of this.openPacks.values()) closeSync(fd);
    this.openPacks.clear();
    this.cachedFrames.clear();
    this.cachedDeltas.clear();
    this.storedScratch = Buffer.alloc(0);
    this.largeDeltaBuffers.fill(EMPTY_BUFFER);
  }

  /** A blob's verified bytes, a copy the caller may keep. */
  readBlob(location: BlobLocation): Buffer {
    const bytes = this.borrowBlob(location);
    // A frame too large to cache was unpacked for this read alone: its bytes are the caller's as they
    // are. A delta frame's buffer is the reader's, whatever its size.
    const copy = isCachedSize(location) || location.codec === Codec.Delta ? Buffer.from(bytes) : bytes;
    this.releaseLargeDeltaBuffers(location);
    return copy;
  }

  /** Reads a blob and checks it against its id, keeping nothing of it (gc, before copying its frame). */
  checkBlob(location: BlobLocation): void {
    this.borrowBlob(location);
    this.releaseLargeDeltaBuffers(location);
  }

  /**
   * A large delta and its base filled the two buffers kept for large deltas; once read, they would
   * only hold memory (a checkout of 1,000,000 files read the commit's times, 8 MB, and kept 16).
   */
  private releaseLargeDeltaBuffers(location: BlobLocation): void {
    if (isLargeDelta(location)) this.largeDeltaBuffers.fill(EMPTY_BUFFER);
  }

  /**
   * A blob's verified bytes as a view into the reader's frame cache, without a copy: valid until the
   * next read from this reader, which may reuse the memory. For callers that use the bytes at once.
   *
   * Of a delta's chain, only the blob asked for is verified: its bases are dictionaries, and a wrong
   * byte in one that the delta uses makes the result fail its own hash (or fail to decompress). Only
   * then is the chain verified link by link, to name the damaged base. Verifying each link of every
   * read cost a commit of a changed directory eight tree hashes (its parent's tree lies up to 8
   * deltas deep), and a restore as many chunk hashes per chunk.
   */
  borrowBlob(location: BlobLocation, depth = 0): Buffer {
    let bytes: Buffer;
    try {
      bytes = this.blobInFrame(location, this.readFrame(location, depth));
    } catch (error) {
      if (error instanceof CorruptionError) this.verifyBases(location, depth);
      throw error;
    }
    if (!verifyBlob(location.type, location.id, bytes, this.treeMemo)) {
      this.verifyBases(location, depth);
      throw new CorruptionError(
        'CORRUPT_PACK',
        `pack ${location.packName}: ${BlobType[location.type] ?? 'blob'} ${location.id.toString('hex')} at frame offset ${location.frameOffset} does not match its hash`,
      );
    }
    return bytes;
  }

  /** The blob's bytes in its unpacked frame, unverified. */
  private blobInFrame(location: BlobLocation, raw: Buffer): Buffer {
    const end = location.offsetInFrame + location.length;
    if (end > raw.length) {
      throw new CorruptionError(
        'CORRUPT_PACK',
        `pack ${location.packName}: blob ${location.id.toString('hex')} reaches past its frame at offset ${location.frameOffset}`,
      );
    }
    return raw.subarray(location.offsetInFrame, end);
  }

  /** After a delta failed: reads its base verified, which throws the error that names a damaged link. */
  private verifyBases(location: BlobLocation, depth: number): void {
    if (location.codec === Codec.Delta) this.borrowBase(location, depth, true);
  }

  /** Whether reading this blob's frame would cost no decompression now (it is cached, or small). */
  holdsFrame(location: BlobLocation): boolean {
    const key = frameKey(location);
    return this.cachedFrames.has(key) || this.cachedDeltas.has(key) || location.frameRawLength <= SMALL_FRAME_BYTES;
  }

  packSize(packName: string): number {
    return fstatSync(this.packFd(packName)).size;
  }

  /** The flags in a pack's header (see PackFlags). */
  packFlags(packName: string): number {
    const header = this.readExactly(this.packFd(packName), 0, PACK_HEADER_BYTES, packName);
    checkPackHeader(header, packName);
    return packHeaderFlags(header);
  }

  /** The whole id of a delta's base, as its pack's footer names it (undefined if it names none there). */
  wholeBaseId(delta: BlobLocation): Buffer | undefined {
    return this.readFooter(delta.packName).frames.find((frame) => frame.offset === delta.frameOffset)?.baseId;
  }

  /** Reads and checks a pack's footer: the list of everything the pack holds. */
  readFooter(packName: string): PackFooter {
    const fd = this.packFd(packName);
    const sizeBytes = fstatSync(fd).size;
    if (sizeBytes < PACK_HEADER_BYTES + PACK_TRAILER_BYTES) {
      throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: too short (${sizeBytes} bytes)`);
    }
    const version = checkPackHeader(this.readExactly(fd, 0, PACK_HEADER_BYTES, packName), packName);
    const trailer = decodeTrailer(this.readExactly(fd, sizeBytes - PACK_TRAILER_BYTES, PACK_TRAILER_BYTES, packName), sizeBytes, packName);
    if (trailer.version !== version)
      throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: its header says version ${version}, its trailer ${trailer.version}`);
    const footerBytes = this.readExactly(fd, trailer.footerOffset, trailer.footerLength, packName);
    return decodeFooter(footerBytes, trailer.footerHash, trailer.footerOffset, packName, version);
  }

  /**
   * The verified bytes of a Delta frame's base, a copy (reading it may reuse the cache's memory), for
   * a caller that unpacks the frame later, elsewhere.
   */
  baseOf(location: BlobLocation): Buffer | undefined {
    const base = this.borrowBase(location, 0, true);
    return base === undefined ? undefined : Buffer.from(base);
  }

  /**
   * A delta's base, for unpacking the frame at once: reading the frame itself takes no buffer a base
   * may lie in (see readDeltaFrame). `verified`: checked against its id (else only the delta read
   * through it is: see borrowBlob). The chain's length is checked here, so a loop of deltas in a
   * damaged pack is an error, not a hang.
   */
  private borrowBase(location: BlobLocation, depth: number, verified = false): Buffer | undefined {
    if (location.codec !== Codec.Delta) return undefined;
    const base = location.base ?? (location.basePrefix === undefined ? undefined : this.locateBase?.(location));
    // The message is made only on damage: a base's id in hex costs a string at every delta read.
    const damage = (what: (baseHex: string) => string, cause?: unknown): never => {
      const baseHex = base?.id.toString('hex') ?? `${location.basePrefix?.toString('hex') ?? '(none)'}...`;
      throw new CorruptionError('CORRUPT_PACK', `pack ${location.packName}: delta frame at offset ${location.frameOffset}: ${what(baseHex)}`, { cause });
    };
    if (base === undefined) return damage((baseHex) => `its base ${baseHex} is missing`);
    if (depth >= MAX_DELTA_DEPTH) return damage(() => `its chain of bases is longer than ${MAX_DELTA_DEPTH}`);
    try {
      return verified ? this.borrowBlob(base, depth + 1) : this.blobInFrame(base, this.readFrame(base, depth + 1));
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      return damage((baseHex) => `its base ${baseHex} cannot be read (${error.message})`, error);
    }
  }

  private readFrame(location: BlobLocation, depth: number): Buffer {
    if (location.codec === Codec.Delta) return isLargeDelta(location) ? this.readLargeDeltaFrame(location, depth) : this.readDeltaFrame(location, depth);
    if (!isCachedSize(location)) return this.unpackFrameAt(location, undefined, undefined);
    const key = frameKey(location);
    const cached = takeCached(this.cachedFrames, key);
    if (cached !== undefined) return cached;
    // Read before a cached buffer is taken for this frame: reading the base uses the cache too.
    const dictionary = this.borrowBase(location, depth);
    // The least recently used frame goes; its buffer is reused (its blobs were only borrowed until this read).
    let spare: Buffer | undefined;
    if (this.cachedFrames.size >= this.maxCachedFrames) {
      const [oldestKey, oldest] = this.cachedFrames.entries().next().value!;
      this.cachedFrames.delete(oldestKey);
      spare = oldest;
    }
    const raw = this.unpackFrameAt(location, spare, dictionary);
    this.cachedFrames.set(key, raw);
    return raw;
  }

  /**
   * Small delta frames (one blob each) are kept apart from the others: read through the common cache
   * of a few frames, a chain of them would push out the large frame at its end, which the next
   * file's chain is likely to need again. The least recently used one's buffer is reused: reading
   * chains 8 deep through new buffers (a tree of 1,000 entries is ~55 KB) left the collector hundreds
   * of megabytes to free in a commit at 500,000 files, and its peak RSS grew with the chains. The
   * frame's base was read just before, so it is the most recently used, never the one reused.
   */
  private readDeltaFrame(location: BlobLocation, depth: number): Buffer {
    const key = frameKey(location);
    const cached = takeCached(this.cachedDeltas, key);
    if (cached !== undefined) return cached;
    const dictionary = this.borrowBase(location, depth);
    let spare: Buffer | undefined;
    if (this.cachedDeltas.size >= CACHED_DELTA_FRAMES) {
      const [oldestKey, oldest] = this.cachedDeltas.entries().next().value!;
      this.cachedDeltas.delete(oldestKey);
      spare = oldest;
    }
    const raw = this.unpackFrameAt(location, spare, dictionary);
    this.cachedDeltas.set(key, raw);
    return raw;
  }

  /**
   * A large delta frame (a commit's times, 4 MB at 500,000 files, are a delta of the parent's) is not
   * cached: each link of its chain is unpacked into one of two buffers kept for this, by the parity
   * of its depth, so that a link's base (one deeper) is never the buffer it is unpacked into (zstd
   * copies a dictionary as it loads it, but this does not depend on that). Cached, a chain of them
   * held 8 x 4 MB; unpacked into new buffers, it left as much to the collector.
   */
  private readLargeDeltaFrame(location: BlobLocation, depth: number): Buffer {
    const dictionary = this.borrowBase(location, depth);
    const slot = depth % 2;
    const rawLength = Math.min(Math.max(location.frameRawLength, 0), MAX_FRAME_RAW_BYTES); // checked on unpacking
    let out = this.largeDeltaBuffers[slot]!;
    if (out.length < rawLength) out = this.largeDeltaBuffers[slot] = Buffer.allocUnsafeSlow(roundUp(rawLength));
    return out.subarray(0, unpackFrameInto(this.readStored(location), out, location, dictionary));
  }

  /** A buffer of `rawLength` bytes over memory of its own, rounded up so frames of slightly different sizes can reuse it. */
  private allocateOwn(rawLength: number): Buffer {
    const memory = Buffer.allocUnsafeSlow(roundUp(rawLength));
    this.ownMemory.add(memory.buffer);
    return memory.subarray(0, rawLength);
  }

  /** A frame's stored bytes: in the reused scratch buffer up to the cached size, else in a buffer of their own. */
  private readStored(location: BlobLocation): Buffer {
    const { packName, frameOffset, frameStoredLength } = location;
    if (frameStoredLength > CACHED_FRAME_MAX_BYTES) return this.readExactly(this.packFd(packName), frameOffset, frameStoredLength, packName);
    if (this.storedScratch.length < frameStoredLength) this.storedScratch = Buffer.allocUnsafeSlow(roundUp(frameStoredLength));
    return this.readExactly(this.packFd(packName), frameOffset, frameStoredLength, packName, this.storedScratch);
  }

  private unpackFrameAt(location: BlobLocation, spare: Buffer | undefined, dictionary: Buffer | undefined): Buffer {
    const fd = this.packFd(location.packName);
    const rawLength = location.frameRawLength;
    if (!Number.isSafeInteger(rawLength) || rawLength < 0 || !isCachedSize(location)) {
      // unpackFrame also turns a length the format does not allow into an error naming the frame
      return unpackFrame(this.readExactly(fd, location.frameOffset, location.frameStoredLength, location.packName), location, dictionary);
    }
    // Only memory this reader allocated for itself is reused: a small delta's buffer lies in Node's
    // shared pool beside other buffers, and one that happens to start its pool once passed a test of
    // offset and size here, so the next frame unpacked into it overwrote its neighbours (a delta's
    // base among them: verify after repair failed one run in eight).
    const out =
      spare !== undefined && this.ownMemory.has(spare.buffer) && spare.buffer.byteLength >= rawLength
        ? Buffer.from(spare.buffer, 0, rawLength)
        : location.codec === Codec.Delta && rawLength < POOLED_BYTES
          ? Buffer.allocUnsafe(rawLength) // a small blob, from Node's pool: never reused as a spare
          : this.allocateOwn(rawLength);
    if (location.codec === Codec.Raw && location.frameStoredLength === rawLength) {
      return this.readExactly(fd, location.frameOffset, rawLength, location.packName, out);
    }
    return out.subarray(0, unpackFrameInto(this.readStored(location), out, location, dictionary));
  }

  /** A frame's bytes as stored (compressed or not), read into `target`, for a caller that unpacks elsewhere. */
  readStoredFrameInto(location: Pick<BlobLocation, 'packName' | 'frameOffset' | 'frameStoredLength'>, target: Buffer): Buffer {
    return this.readExactly(this.packFd(location.packName), location.frameOffset, location.frameStoredLength, location.packName, target);
  }

  private packFd(packName: string): number {
    let fd = this.openPacks.get(packName);
    if (fd === undefined) {
      try {
        fd = openSync(packPath(this.packsDirectory, packName), 'r');
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') throw new CorruptionError('CORRUPT_PACK', `pack ${packName} is missing`, { cause: error });
        throw error;
      }
      this.openPacks.set(packName, fd);
    }
    return fd;
  }

  private readExactly(fd: number, position: number, length: number, packName: string, into?: Buffer): Buffer {
    const buffer = into === undefined ? Buffer.allocUnsafe(length) : into.subarray(0, length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buffer, done, length - done, position + done);
      if (n === 0) throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: ends before offset ${position + length} (truncated)`);
      done += n;
    }
    return buffer;
  }
}

/** A cached frame, made the most recently used (a Map keeps insertion order), or undefined. */
function takeCached(cache: Map<string, Buffer>, key: string): Buffer | undefined {
  const cached = cache.get(key);
  if (cached !== undefined) {
    cache.delete(key);
    cache.set(key, cached);
  }
  return cached;
}

/** Names a frame: its pack and its offset there. */
export function frameKey(location: Pick<BlobLocation, 'packName' | 'frameOffset'>): string {
  return `${location.packName}:${location.frameOffset}`;
}

function roundUp(bytes: number): number {
  return Math.max(Math.ceil(bytes / REUSED_BUFFER_STEP), 1) * REUSED_BUFFER_STEP;
}

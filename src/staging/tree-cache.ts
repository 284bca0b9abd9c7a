import { readFileSync } from 'node:fs';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { HASH_BYTES, hashBytes } from '../core/hash.js';

/**
 * The tree cache: for each directory of the last commit, a fingerprint of its staged entries mapped
 * to the id and size of the tree built from them, so that `commit` re-encodes and re-hashes only the
 * directories that changed (git's cache-tree, keyed by content instead of invalidated by `add`).
 * Derived data: a missing or damaged file is ignored (the trees are built again), and gc and repair
 * delete it since they may drop trees it names. Layout, little-endian:
 *   "STTREEC\0" | u32 version | u32 count | count x (fingerprint[32] | treeId[32] | u64 sizeBytes) | BLAKE3 of all before
 */
export interface CachedTree {
  id: Buffer;
  sizeBytes: number;
}

/** Keyed by the fingerprint's bytes as a latin1 string. */
export type TreeCache = Map<string, CachedTree>;

const MAGIC = Buffer.from('STTREEC\0', 'ascii');
// Version 2: fingerprints include the directory's path (see runFingerprint). Version 1 files are
// ignored: their keys could name the tree of a directory's only subdirectory.
const VERSION = 2;
const HEADER_BYTES = 16;
const RECORD_BYTES = 2 * HASH_BYTES + 8;

const STAGING_FILE_DOMAIN = Buffer.from('store tree cache: a whole staging file\0', 'ascii');

/**
 * The key under which the cache holds the root tree built from a whole staging file, by the file's
 * trailing checksum: a status right after a commit finds HEAD's root without fingerprinting every
 * entry (~70 ms at 500,000 files, measured by hand). The checksum covers every byte the fingerprint
 * does; the domain keeps the key apart from any fingerprint.
 */
export function stagingFileKey(checksum: Buffer): string {
  return hashBytes(Buffer.concat([STAGING_FILE_DOMAIN, checksum])).toString('latin1');
}

export function readTreeCache(path: string): TreeCache {
  const cache: TreeCache = new Map();
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return cache;
    throw error;
  }
  if (bytes.length < HEADER_BYTES + HASH_BYTES || !bytes.subarray(0, 8).equals(MAGIC) || bytes.readUInt32LE(8) !== VERSION) return cache;
  const count = bytes.readUInt32LE(12);
  const bodyBytes = HEADER_BYTES + count * RECORD_BYTES;
  if (bodyBytes + HASH_BYTES !== bytes.length || !hashBytes(bytes.subarray(0, bodyBytes)).equals(bytes.subarray(bodyBytes))) return cache;
  for (let at = HEADER_BYTES; at < bodyBytes; at += RECORD_BYTES) {
    cache.set(bytes.toString('latin1', at, at + HASH_BYTES), {
      id: bytes.subarray(at + HASH_BYTES, at + 2 * HASH_BYTES),
      sizeBytes: Number(bytes.readBigUInt64LE(at + 2 * HASH_BYTES)),
    });
  }
  return cache;
}

/** Atomic but not fsynced: losing the cache in a crash only costs the next commit some time. */
export function writeTreeCache(place: { treeCache: string; fileMode: number }, cache: TreeCache): void {
  const bodyBytes = HEADER_BYTES + cache.size * RECORD_BYTES;
  const out = Buffer.alloc(bodyBytes + HASH_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(cache.size, 12);
  let at = HEADER_BYTES;
  for (const [fingerprint, tree] of cache) {
    out.write(fingerprint, at, 'latin1');
    tree.id.copy(out, at + HASH_BYTES);
    out.writeBigUInt64LE(BigInt(tree.sizeBytes), at + 2 * HASH_BYTES);
    at += RECORD_BYTES;
  }
  hashBytes(out.subarray(0, bodyBytes)).copy(out, bodyBytes);
  writeFileAtomic(place.treeCache, out, { durable: false, mode: place.fileMode });
}

import { fstatSync, readFileSync, rmSync } from 'node:fs';
import { withFileIfExists } from '../core/mapped-file.js';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { HASH_BYTES, hashBytes } from '../core/hash.js';
import type { MerkleGroupMemo } from '../objects/tree.js';

/**
 * The tree cache: for each directory of the last commit, a fingerprint of its staged entries mapped
 * to the id and size of the tree built from them, so that `commit` re-encodes and re-hashes only the
 * directories that changed (git's cache-tree, keyed by content instead of invalidated by `add`).
 * Derived data: a missing or damaged file is ignored (the trees are built again), and gc and repair
 * keep only the records whose trees survive them (see setTreeCacheAside). It also keeps the Merkle
 * roots of groups of tree entries (see MerkleGroupMemo), so that a directory that changed re-hashes
 * only the groups that did.
 * Layout, little-endian:
 *   "STTREEC\0" | u32 version | u32 count | count x (fingerprint[32] | treeId[32] | u64 sizeBytes) |
 *   u32 groupCount | groupCount x (groupKey[32] | groupRoot[32]) | BLAKE3 of all before
 */
export interface CachedTree {
  id: Buffer;
  sizeBytes: number;
}

export interface TreeCache {
  /** Keyed by the fingerprint's bytes as a latin1 string. */
  trees: Map<string, CachedTree>;
  /** Keyed by the group key's bytes as a latin1 string. */
  groups: Map<string, Buffer>;
}

export function emptyTreeCache(): TreeCache {
  return { trees: new Map(), groups: new Map() };
}

const MAGIC = Buffer.from('STTREEC\0', 'ascii');
// Version 2: fingerprints include the directory's path (see runFingerprint). Version 1 files are
// ignored: their keys could name the tree of a directory's only subdirectory. Version 3 adds the
// Merkle groups; a version 2 file is ignored (the next commit hashes every tree it builds in full).
// Version 4: a directory's fingerprint covers its subdirectories' fingerprints, not their entries
// again (see partsFingerprint); a version 3 file is ignored.
const VERSION = 4;
const HEADER_BYTES = 16;
const RECORD_BYTES = 2 * HASH_BYTES + 8;
const GROUP_RECORD_BYTES = 2 * HASH_BYTES;

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

const COMMIT_ROOT_DOMAIN = Buffer.from("store tree cache: a commit's root tree\0", 'ascii');

/**
 * The key under which the cache holds the root tree of the commit that wrote it. A commit's tree
 * never changes, so a status finds HEAD's root here without opening the catalog (SQLite's module and
 * the database: ~15 ms of a status, measured by hand); the domain keeps the key apart from the others.
 */
export function commitRootKey(commitId: Buffer): string {
  return hashBytes(Buffer.concat([COMMIT_ROOT_DOMAIN, commitId])).toString('latin1');
}

/** The cache file's bytes and where its parts lie, or undefined when it is missing, of another version or damaged. */
function readCacheFile(path: string): { bytes: Buffer; treesEnd: number; bodyBytes: number } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  if (bytes.length < HEADER_BYTES + 4 + HASH_BYTES || !bytes.subarray(0, 8).equals(MAGIC) || bytes.readUInt32LE(8) !== VERSION) return undefined;
  const treesEnd = HEADER_BYTES + bytes.readUInt32LE(12) * RECORD_BYTES;
  if (treesEnd + 4 + HASH_BYTES > bytes.length) return undefined;
  const bodyBytes = treesEnd + 4 + bytes.readUInt32LE(treesEnd) * GROUP_RECORD_BYTES;
  if (bodyBytes + HASH_BYTES !== bytes.length || !hashBytes(bytes.subarray(0, bodyBytes)).equals(bytes.subarray(bodyBytes))) return undefined;
  return { bytes, treesEnd, bodyBytes };
}

/** `groups: false`: the trees only (status needs no Merkle groups: tens of thousands of them at 500,000 files). */
export function readTreeCache(path: string, options: { groups?: boolean } = {}): TreeCache {
  const cache = emptyTreeCache();
  const file = readCacheFile(path);
  if (file === undefined) return cache;
  const { bytes, treesEnd, bodyBytes } = file;
  for (let at = HEADER_BYTES; at < treesEnd; at += RECORD_BYTES) {
    cache.trees.set(bytes.toString('latin1', at, at + HASH_BYTES), {
      id: bytes.subarray(at + HASH_BYTES, at + 2 * HASH_BYTES),
      sizeBytes: Number(bytes.readBigUInt64LE(at + 2 * HASH_BYTES)),
    });
  }
  if (options.groups === false) return cache;
  for (let at = treesEnd + 4; at < bodyBytes; at += GROUP_RECORD_BYTES) {
    cache.groups.set(bytes.toString('latin1', at, at + HASH_BYTES), bytes.subarray(at + HASH_BYTES, at + GROUP_RECORD_BYTES));
  }
  return cache;
}

/** Atomic but not fsynced: losing the cache in a crash only costs the next commit some time. */
export function writeTreeCache(place: { treeCache: string; fileMode: number }, cache: TreeCache): void {
  const treesEnd = HEADER_BYTES + cache.trees.size * RECORD_BYTES;
  const bodyBytes = treesEnd + 4 + cache.groups.size * GROUP_RECORD_BYTES;
  const out = Buffer.alloc(bodyBytes + HASH_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(cache.trees.size, 12);
  let at = HEADER_BYTES;
  for (const [fingerprint, tree] of cache.trees) {
    out.write(fingerprint, at, 'latin1');
    tree.id.copy(out, at + HASH_BYTES);
    out.writeBigUInt64LE(BigInt(tree.sizeBytes), at + 2 * HASH_BYTES);
    at += RECORD_BYTES;
  }
  out.writeUInt32LE(cache.groups.size, at);
  at += 4;
  for (const [key, root] of cache.groups) {
    out.write(key, at, 'latin1');
    root.copy(out, at + HASH_BYTES);
    at += GROUP_RECORD_BYTES;
  }
  writeSealed(place, out);
}

/** `out` (the file's body, then HASH_BYTES to fill) with its checksum, written atomically, not fsynced: derived data. */
function writeSealed(place: { treeCache: string; fileMode: number }, out: Buffer): void {
  const bodyBytes = out.length - HASH_BYTES;
  hashBytes(out.subarray(0, bodyBytes)).copy(out, bodyBytes);
  writeFileAtomic(place.treeCache, out, { durable: false, mode: place.fileMode });
}

/**
 * Takes the tree cache out of the way of a command that may delete trees (gc, repair): the file goes
 * at once, so that a crash leaves no record naming a deleted tree for the next commit to reuse, and
 * `restore` writes back, once the catalog is final, the records whose trees it still has (`hasTree`)
 * with every Merkle group (pure: a group's root follows from its bytes). Deleted for good, the cache
 * left every status until the next commit reading all of HEAD's trees: 5.4 s instead of 1.3 s at
 * 500,000 files (measured by hand after a repair). Kept as the file's bytes, not as maps (the groups
 * of a 1,000,000-file cache held ~100 MB as a Map).
 */
export function setTreeCacheAside(place: { treeCache: string; fileMode: number }): { restore(hasTree: (id: Buffer) => boolean): void } {
  const file = readCacheFile(place.treeCache);
  rmSync(place.treeCache, { force: true });
  return {
    restore(hasTree) {
      if (file === undefined) return;
      const { bytes, treesEnd, bodyBytes } = file;
      const kept: Buffer[] = [];
      for (let at = HEADER_BYTES; at < treesEnd; at += RECORD_BYTES) {
        if (hasTree(bytes.subarray(at + HASH_BYTES, at + 2 * HASH_BYTES))) kept.push(bytes.subarray(at, at + RECORD_BYTES));
      }
      const header = Buffer.from(bytes.subarray(0, HEADER_BYTES));
      header.writeUInt32LE(kept.length, 12);
      writeSealed(place, Buffer.concat([header, ...kept, bytes.subarray(treesEnd, bodyBytes), Buffer.alloc(HASH_BYTES)]));
    },
  };
}

/**
 * Groups kept beyond twice what a commit needs, for a small tree. It was 1,024 (64 KiB of the file
 * whatever the tree: 84 of the 90 KiB after rxjs's 20 releases, 2,277 files); hashing a group again
 * costs ~50 us, so a small tree loses little by keeping fewer.
 */
const SPARE_GROUPS = 64;

/**
 * The Merkle groups to keep for the next commit: those this one used, then earlier ones (a directory
 * whose tree was reused whole used none of its groups, and may change next time) while they number
 * under twice what one commit of `entryCount` entries needs (and SPARE_GROUPS), so that the file stays bounded.
 */
export function groupsToKeep(used: Map<string, Buffer>, previous: Map<string, Buffer>, entryCount: number, groupLeaves: number): Map<string, Buffer> {
  const limit = 2 * Math.ceil(entryCount / groupLeaves) + SPARE_GROUPS;
  const kept = new Map(used);
  for (const [key, root] of previous) {
    if (kept.size >= limit) break;
    if (!kept.has(key)) kept.set(key, root);
  }
  return kept;
}

/**
 * Bytes of the cache file read per group lookup answered without it, before it is read: a command
 * that reads a few trees never reads it, one that reads many reads it as soon as the hashing it saves
 * outweighs reading it. A group looked up in vain costs ~31 BLAKE3 calls (~50 us here); reading 16
 * KiB of the file costs less than that. Before, the file was read after 4,096 lookups whatever its
 * size: a 1% commit at 500,000 files verified its first ~64 parent trees of 1,000 entries leaf by leaf
 * (~215 ms of its 3.2 s, in a CPU profile), though the file (2 MB) takes a few ms to read.
 */
const FILE_BYTES_PER_LOOKUP = 16 * 1024;

/**
 * The tree cache's Merkle groups as a memo for verifying the trees a command reads (a tree is
 * verified by recomputing its Merkle root: ~2 BLAKE3 calls an entry, ~1 a group of 16 with the
 * memo). Read once the lookups reach `lookupsBeforeReading` (by default, one per FILE_BYTES_PER_LOOKUP
 * of the file), and looked up in place (see GroupTable): a Map of the groups of a 1,000,000-file
 * cache held ~100 MB.
 */
export function treeCacheMemo(path: string, lookupsBeforeReading?: number): ReadingMemo {
  let lookups = 0;
  let threshold = lookupsBeforeReading;
  let table: GroupTable | undefined;
  let seen: Map<string, Buffer> | undefined;
  return {
    get: (key, wholeTree) => {
      if (table === undefined) {
        threshold ??= Math.ceil((withFileIfExists(path, (fd) => fstatSync(fd).size) ?? 0) / FILE_BYTES_PER_LOOKUP);
        if (++lookups > threshold) table = GroupTable.read(path);
      }
      const root = table?.get(key);
      if (wholeTree && root !== undefined) seen?.set(key, root);
      return root;
    },
    // A pure memo: what is not in the file is computed again (whole trees are noted when asked).
    set: (key, root, wholeTree) => {
      if (wholeTree) seen?.set(key, Buffer.from(root));
    },
    noteWholeTrees: () => {
      seen ??= new Map();
      return seen;
    },
  };
}

/** The memo a repository's reader verifies trees through (see treeCacheMemo). */
export interface ReadingMemo extends MerkleGroupMemo {
  /**
   * From now on, notes each whole tree verified (its wholeTreeKey and id) in the map returned: for a
   * commit, which keeps them for the next one (that reads the same delta chains again).
   */
  noteWholeTrees(): Map<string, Buffer>;
}

/**
 * The cache file's group records indexed by a hash table of their positions (open addressing, the
 * key's first four bytes as its hash: keys are BLAKE3 digests): 4-8 bytes a group beside the file.
 */
class GroupTable {
  private constructor(
    private readonly bytes: Buffer,
    private readonly slots: Uint32Array,
  ) {}

  static read(path: string): GroupTable {
    const file = readCacheFile(path);
    if (file === undefined) return new GroupTable(Buffer.alloc(0), new Uint32Array(1));
    const { bytes, treesEnd, bodyBytes } = file;
    const count = (bodyBytes - treesEnd - 4) / GROUP_RECORD_BYTES;
    let size = 1;
    while (size < 2 * count) size *= 2;
    const slots = new Uint32Array(size); // a record's offset + 1; 0: empty
    for (let at = treesEnd + 4; at < bodyBytes; at += GROUP_RECORD_BYTES) {
      let slot = bytes.readUInt32LE(at) & (size - 1);
      while (slots[slot] !== 0) slot = (slot + 1) & (size - 1);
      slots[slot] = at + 1;
    }
    return new GroupTable(bytes, slots);
  }

  /** The root of the group keyed by `key` (a digest as a latin1 string), or undefined. */
  get(key: string): Buffer | undefined {
    const mask = this.slots.length - 1;
    const hash = (key.charCodeAt(0) | (key.charCodeAt(1) << 8) | (key.charCodeAt(2) << 16) | (key.charCodeAt(3) << 24)) >>> 0;
    for (let slot = hash & mask; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const at = this.slots[slot]! - 1;
      let same = true;
      for (let i = 0; i < HASH_BYTES && same; i++) same = this.bytes[at + i] === key.charCodeAt(i);
      if (same) return this.bytes.subarray(at + HASH_BYTES, at + GROUP_RECORD_BYTES);
    }
    return undefined;
  }
}

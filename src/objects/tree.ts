import { CorruptionError } from '../core/errors.js';
import { digestOf, HASH_BYTES, hashBytes, withHasher } from '../core/hash.js';
import { readUint53LE, writeUint53LE } from '../core/uint53.js';
import { nameProblem } from '../core/names.js';
import { decodeName, encodeName, nameByteLength } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';
import { EntryKind } from '../core/vocabulary.js';

/**
 * A tree lists one directory: entries sorted by the bytes of their names. Encoding:
 *   u8 version(1) | u32 count | count x entry
 *   entry = u8 kind | u64 sizeBytes | id[32] | u16 nameLength | name (its bytes; see core/path-bytes.ts)
 * A tree's id is not the hash of these bytes but the root of a binary Merkle tree over its entries
 * (see treeId), so that a proof that a file sits in a commit grows with log(entries), not entries.
 */
export interface TreeEntry {
  name: string;
  kind: EntryKind;
  /** Content bytes for files and symlinks (the link target); logical bytes below it for directories. */
  sizeBytes: number;
  /** File id (BLAKE3 of the content; for a symlink, of its target) or tree id for directories. */
  id: Buffer;
}

const TREE_VERSION = 1;
const LEAF_DOMAIN = 0x00;
const NODE_DOMAIN = 0x01;
const ROOT_DOMAIN = 0x02;

/** Byte order of the UTF-8 names. */
export function compareNames(a: string, b: string): number {
  return compareUtf8(a, b);
}

const ENTRY_FIXED_BYTES = 1 + 8 + HASH_BYTES + 2;

/** Writes one entry at `at` and returns where it ends. */
function writeEntry(out: Buffer, at: number, entry: TreeEntry, nameBytes: number): number {
  out[at] = entry.kind;
  writeUint53LE(out, entry.sizeBytes, at + 1);
  entry.id.copy(out, at + 9);
  out.writeUInt16LE(nameBytes, at + 9 + HASH_BYTES);
  if (entry.name.isWellFormed()) out.write(entry.name, at + ENTRY_FIXED_BYTES, 'utf8');
  else encodeName(entry.name).copy(out, at + ENTRY_FIXED_BYTES);
  return at + ENTRY_FIXED_BYTES + nameBytes;
}

export function encodeTreeEntry(entry: TreeEntry): Buffer {
  const nameBytes = nameByteLength(entry.name);
  const out = Buffer.allocUnsafe(ENTRY_FIXED_BYTES + nameBytes);
  writeEntry(out, 0, entry, nameBytes);
  return out;
}

/**
 * Merkle roots of groups of MERKLE_GROUP_LEAVES consecutive entries, keyed by the group's encoded
 * bytes (see merkleGroupKey): a tree that changes in a few entries then re-hashes a few groups,
 * not every entry. And whole trees' ids, keyed by the tree's bytes (see wholeTreeKey): a tree read
 * or built before costs one hash. A pure memo (a key's root never changes), kept by the tree cache
 * across commits.
 */
export interface MerkleGroupMemo {
  /** `wholeTree`: the key is a wholeTreeKey and the value a tree's id. */
  get(key: string, wholeTree?: boolean): Buffer | undefined;
  set(key: string, root: Buffer, wholeTree?: boolean): void;
}

/**
 * Entries a memoised group covers. Groups start at multiples of it, so each one's root is a node of
 * the tree's Merkle tree (the node at that height covers exactly those leaves, an odd one moving up
 * unchanged), and the root over the groups' roots is the tree's. 16: with 1,000 entries a tree and
 * 10 of them changed, ~430 hashes instead of ~2,000; a memo of 64 bytes per 16 entries.
 */
export const MERKLE_GROUP_LEAVES = 16;

/** The memo's key for a group: the BLAKE3 of its entries' encoded bytes (self-delimiting), as a latin1 string. */
function merkleGroupKey(groupBytes: Buffer): string {
  return hashBytes(groupBytes).toString('latin1');
}

const WHOLE_TREE_DOMAIN = Buffer.from('store whole tree\0', 'ascii');

/**
 * The memo's key for a whole tree: the BLAKE3 of a domain and the tree's bytes, as a latin1 string.
 * It maps to the tree's id. The domain keeps it apart from any group's key (a group's bytes could
 * read as a tree's).
 */
export function wholeTreeKey(bytes: Buffer): string {
  return withHasher((hasher) => digestOf(hasher.update(WHOLE_TREE_DOMAIN).update(bytes))).toString('latin1');
}

/** The tree's bytes, written in one buffer (a buffer per entry made a first commit of 12,000 files allocate 25,000). */
export function encodeTree(entries: readonly TreeEntry[], memo?: MerkleGroupMemo): { bytes: Buffer; id: Buffer } {
  const nameBytes = entries.map((entry) => nameByteLength(entry.name));
  const bytes = Buffer.allocUnsafe(nameBytes.reduce((sum, length) => sum + ENTRY_FIXED_BYTES + length, 5));
  bytes[0] = TREE_VERSION;
  bytes.writeUInt32LE(entries.length, 1);
  const encoded: Buffer[] = [];
  let at = 5;
  entries.forEach((entry, index) => {
    const end = writeEntry(bytes, at, entry, nameBytes[index]!);
    encoded.push(bytes.subarray(at, end));
    at = end;
  });
  return { bytes, id: memo === undefined ? treeIdOfEncodedEntries(encoded) : treeIdThroughMemo(bytes, encoded, memo) };
}

/**
 * The id treeIdOfEncodedEntries gives, with each whole group's root taken from `memo` when its bytes
 * are there, and put there when not. `encoded` are consecutive ranges of `bytes`.
 */
function treeIdThroughMemo(bytes: Buffer, encoded: readonly Buffer[], memo: MerkleGroupMemo): Buffer {
  if (encoded.length <= MERKLE_GROUP_LEAVES) return treeIdOfEncodedEntries(encoded);
  return throughWholeTreeMemo(bytes, memo, () => treeIdOfGroups(bytes, encoded, memo));
}

/**
 * A tree seen before costs one hash of its bytes, not one per group and per node above them: its id
 * from `memo` by wholeTreeKey, or computed and put there.
 */
function throughWholeTreeMemo(bytes: Buffer, memo: MerkleGroupMemo, compute: () => Buffer): Buffer {
  const whole = wholeTreeKey(bytes);
  const known = memo.get(whole, true);
  if (known !== undefined) return known;
  const id = compute();
  memo.set(whole, id, true);
  return id;
}

function treeIdOfGroups(bytes: Buffer, encoded: readonly Buffer[], memo: MerkleGroupMemo): Buffer {
  const groupRoots: Buffer[] = [];
  for (let first = 0; first < encoded.length; first += MERKLE_GROUP_LEAVES) {
    const group = encoded.slice(first, first + MERKLE_GROUP_LEAVES);
    const start = group[0]!.byteOffset - bytes.byteOffset;
    const last = group.at(-1)!;
    const key = merkleGroupKey(bytes.subarray(start, last.byteOffset - bytes.byteOffset + last.length));
    let root = memo.get(key);
    if (root === undefined) {
      root = merkleRoot(group.map(merkleLeaf));
      memo.set(key, root);
    }
    groupRoots.push(root);
  }
  return merkleRootToTreeId(merkleRoot(groupRoots), encoded.length);
}

/** Domain byte and hash input, reused: every Merkle hash would otherwise concatenate into a new buffer. */
let hashInput = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);

export function merkleLeaf(encodedEntry: Buffer): Buffer {
  if (hashInput.length < 1 + encodedEntry.length) hashInput = Buffer.allocUnsafe(2 * (1 + encodedEntry.length));
  hashInput[0] = LEAF_DOMAIN;
  encodedEntry.copy(hashInput, 1);
  return hashBytes(hashInput.subarray(0, 1 + encodedEntry.length));
}

export function merkleNode(left: Buffer, right: Buffer): Buffer {
  hashInput[0] = NODE_DOMAIN;
  left.copy(hashInput, 1);
  right.copy(hashInput, 1 + HASH_BYTES);
  return hashBytes(hashInput.subarray(0, 1 + 2 * HASH_BYTES));
}

export function merkleRootToTreeId(root: Buffer, count: number): Buffer {
  const countBytes = Buffer.alloc(4);
  countBytes.writeUInt32LE(count, 0);
  return hashBytes(Buffer.concat([Buffer.of(ROOT_DOMAIN), countBytes, root]));
}

/** Pairs adjacent nodes level by level; an odd node at the end of a level moves up unchanged. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return Buffer.alloc(HASH_BYTES);
  let level = leaves.slice();
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? merkleNode(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

function treeIdOfEncodedEntries(encoded: readonly Buffer[]): Buffer {
  return merkleRootToTreeId(merkleRoot(encoded.map(merkleLeaf)), encoded.length);
}

export function decodeTree(bytes: Buffer): { entries: TreeEntry[]; id: Buffer } {
  const { entries, encoded } = parseTree(bytes, true, true);
  return { entries, id: treeIdOfEncodedEntries(encoded) };
}

/** A tree's entries without computing its id: for bytes already verified against the id they were read by. */
export function decodeVerifiedTree(bytes: Buffer): TreeEntry[] {
  return parseTree(bytes, true, false).entries;
}

/**
 * The id of well-formed tree bytes, whether or not their names keep the rules: a reader checks that
 * bytes are the ones an id names apart from whether what they say is acceptable (decodeVerifiedTree),
 * so that a crafted tree is reported as such, not as damage in transit.
 */
/** `memo`: the roots of groups seen before (see MerkleGroupMemo); the id is the same with or without. */
export function treeIdOfBytes(bytes: Buffer, memo?: MerkleGroupMemo): Buffer {
  const ofEntries = (): Buffer => {
    const { encoded } = parseTree(bytes, false, true, false);
    return memo === undefined || encoded.length <= MERKLE_GROUP_LEAVES ? treeIdOfEncodedEntries(encoded) : treeIdOfGroups(bytes, encoded, memo);
  };
  // Bytes whose key is in the memo were parsed when their id was put there: not parsed again.
  const large = bytes.length >= 5 && bytes.readUInt32LE(1) > MERKLE_GROUP_LEAVES;
  return memo !== undefined && large ? throughWholeTreeMemo(bytes, memo, ofEntries) : ofEntries();
}

/**
 * Walks two trees' bytes side by side in name order, reading them in place (no entry is decoded):
 * `visit` gets the offset of the entry of each name in `before` and in `after` (-1 on the side that
 * lacks the name; a tree that is undefined has no entries). For bytes already verified against their
 * ids (see entryKindAt, entryIdAt, entryNameAt).
 */
export function mergeTreeBytes(before: Buffer | undefined, after: Buffer | undefined, visit: (beforeAt: number, afterAt: number) => void): void {
  const beforeCount = before === undefined ? 0 : before.readUInt32LE(1);
  const afterCount = after === undefined ? 0 : after.readUInt32LE(1);
  let i = 0;
  let j = 0;
  let beforeAt = 5;
  let afterAt = 5;
  while (i < beforeCount || j < afterCount) {
    const order = i === beforeCount ? 1 : j === afterCount ? -1 : Buffer.compare(entryNameBytes(before!, beforeAt), entryNameBytes(after!, afterAt));
    visit(order <= 0 ? beforeAt : -1, order >= 0 ? afterAt : -1);
    if (order <= 0) {
      beforeAt = entryEnd(before!, beforeAt);
      i++;
    }
    if (order >= 0) {
      afterAt = entryEnd(after!, afterAt);
      j++;
    }
  }
}

export function entryKindAt(bytes: Buffer, at: number): EntryKind {
  return bytes[at] as EntryKind;
}

/** The entry's id, in place. */
export function entryIdAt(bytes: Buffer, at: number): Buffer {
  return bytes.subarray(at + 9, at + 9 + HASH_BYTES);
}

export function entryNameAt(bytes: Buffer, at: number): string {
  return decodeName(entryNameBytes(bytes, at));
}

function entryNameBytes(bytes: Buffer, at: number): Buffer {
  const start = at + ENTRY_FIXED_BYTES;
  return bytes.subarray(start, start + bytes.readUInt16LE(at + 9 + HASH_BYTES));
}

function entryEnd(bytes: Buffer, at: number): number {
  return at + ENTRY_FIXED_BYTES + bytes.readUInt16LE(at + 9 + HASH_BYTES);
}

/**
 * `keepEncoded`: also return each entry's bytes, which the tree's id is computed from. `keepEntries:
 * false`: the structure checked and no entry decoded (for an id alone).
 */
function parseTree(bytes: Buffer, checkNames: boolean, keepEncoded: boolean, keepEntries = true): { entries: TreeEntry[]; encoded: Buffer[] } {
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_OBJECT', `tree: ${what}`);
  };
  if (bytes.length < 5 || bytes.readUInt8(0) !== TREE_VERSION) fail('bad header');
  const count = bytes.readUInt32LE(1);
  if (5 + count * ENTRY_FIXED_BYTES > bytes.length) fail(`claims ${count} entries, more than its ${bytes.length} bytes can hold`);
  const entries: TreeEntry[] = [];
  const encoded: Buffer[] = [];
  let previousName: Buffer | undefined;
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 1 + 8 + HASH_BYTES + 2 > bytes.length) fail('truncated entry');
    const start = at;
    const kind = bytes.readUInt8(at) as EntryKind;
    if (kind < EntryKind.File || kind > EntryKind.Directory) fail(`unknown entry kind ${kind}`);
    const sizeBytes = readUint53LE(bytes, at + 1);
    if (!Number.isSafeInteger(sizeBytes)) fail(`entry ${i}: size out of range`);
    const nameLength = bytes.readUInt16LE(at + 9 + HASH_BYTES);
    at += 9 + HASH_BYTES + 2;
    if (at + nameLength > bytes.length) fail('truncated name');
    if (!keepEntries && !checkNames) {
      at += nameLength;
      if (keepEncoded) encoded.push(bytes.subarray(start, at));
      continue;
    }
    const id = Buffer.from(bytes.subarray(start + 9, start + 9 + HASH_BYTES));
    const nameBytes = bytes.subarray(at, at + nameLength);
    const name = decodeName(nameBytes);
    if (checkNames) {
      const problem = nameProblem(name);
      if (problem !== undefined) fail(`entry ${i} has ${problem}`);
      // Strictly increasing: in byte order, and no name twice (which would let one path be both a link and a directory).
      if (previousName !== undefined && Buffer.compare(previousName, nameBytes) >= 0)
        fail(`entry ${i} (${JSON.stringify(name)}) is out of byte order or repeats a name`);
      previousName = nameBytes;
    }
    at += nameLength;
    if (keepEntries) entries.push({ name, kind, sizeBytes, id });
    if (keepEncoded) encoded.push(bytes.subarray(start, at));
  }
  if (at !== bytes.length) fail('trailing bytes');
  return { entries, encoded };
}

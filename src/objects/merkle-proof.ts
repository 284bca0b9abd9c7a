import { hashBytes, isFullHexId } from '../core/hash.js';
import { decodeCommit } from './commit.js';
import { merkleLeaf, merkleNode, merkleRootToTreeId } from './tree.js';
import { decodeName } from '../core/path-bytes.js';
import { EntryKind } from '../core/vocabulary.js';

/**
 * A proof that a file with a given id sits at a path in a commit, checkable with nothing but the
 * proof and the commit id. It carries the commit object, and for each directory on the path the
 * encoded entry, its position, the directory's entry count and the Merkle siblings: log2(entries)
 * hashes per directory, never whole directory listings.
 */
export interface MerkleProof {
  format: 'store-proof-1';
  commitId: string;
  /** The commit object, base64: its BLAKE3 is the commit id. */
  commit: string;
  path: string;
  fileId: string;
  levels: ProofLevel[];
}

export interface ProofLevel {
  /** The tree entry's encoding, hex (kind, size, id, name). */
  entry: string;
  index: number;
  count: number;
  siblings: string[];
}

/** The sibling hashes from leaf `index` up to the root, for the tree shape of `merkleRoot`. */
export function auditPath(leaves: readonly Buffer[], index: number): Buffer[] {
  const siblings: Buffer[] = [];
  let level = leaves.slice();
  let position = index;
  while (level.length > 1) {
    const sibling = position % 2 === 1 ? position - 1 : position + 1;
    if (sibling < level.length) siblings.push(level[sibling]!);
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? merkleNode(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
    position = Math.floor(position / 2);
  }
  return siblings;
}

function rootFromAuditPath(leaf: Buffer, index: number, count: number, siblings: readonly Buffer[]): Buffer | undefined {
  let node = leaf;
  let position = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    if (position % 2 === 1) {
      const left = siblings[used++];
      if (!left) return undefined;
      node = merkleNode(left, node);
    } else if (position + 1 < width) {
      const right = siblings[used++];
      if (!right) return undefined;
      node = merkleNode(node, right);
    } // else: the last node of an odd level moves up unchanged
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length ? node : undefined;
}

interface DecodedEntry {
  kind: number;
  sizeBytes: number;
  id: string;
  name: string;
}

function decodeEntry(bytes: Buffer): DecodedEntry | undefined {
  if (bytes.length < 43) return undefined;
  const nameLength = bytes.readUInt16LE(41);
  if (bytes.length !== 43 + nameLength) return undefined;
  return {
    kind: bytes.readUInt8(0),
    sizeBytes: Number(bytes.readBigUInt64LE(1)),
    id: bytes.subarray(9, 41).toString('hex'),
    name: decodeName(bytes.subarray(43)),
  };
}

/** Checks a proof against a commit id; returns why it fails, or undefined when it holds. */
export function checkProof(proof: MerkleProof, commitId: string): string | undefined {
  try {
    if (proof.format !== 'store-proof-1') return 'unknown proof format';
    if (!isFullHexId(commitId) || proof.commitId !== commitId) return 'the proof is for another commit';
    const commitBytes = Buffer.from(proof.commit, 'base64');
    if (hashBytes(commitBytes).toString('hex') !== commitId) return 'the commit object does not hash to the commit id';
    const names = proof.path.split('/');
    if (names.some((name) => name === '') || names.length !== proof.levels.length) return 'the path does not match the proof levels';
    let expectedTree = decodeCommit(commitBytes).treeId;
    for (let depth = 0; depth < names.length; depth++) {
      const level = proof.levels[depth]!;
      const entryBytes = Buffer.from(level.entry, 'hex');
      const entry = decodeEntry(entryBytes);
      if (!entry || entry.name !== names[depth]) return `level ${depth}: the entry is not '${names[depth]}'`;
      if (!Number.isInteger(level.index) || !Number.isInteger(level.count) || level.index < 0 || level.index >= level.count || level.count > 2 ** 32)
        return `level ${depth}: bad position`;
      const siblings = level.siblings.map((sibling) => Buffer.from(sibling, 'hex'));
      if (siblings.some((sibling) => sibling.length !== 32)) return `level ${depth}: bad sibling hash`;
      const root = rootFromAuditPath(merkleLeaf(entryBytes), level.index, level.count, siblings);
      if (!root || merkleRootToTreeId(root, level.count).toString('hex') !== expectedTree) return `level ${depth}: the entry is not in tree ${expectedTree}`;
      const last = depth === names.length - 1;
      if (!last) {
        if (entry.kind !== EntryKind.Directory) return `level ${depth}: '${entry.name}' is not a directory`;
        expectedTree = entry.id;
      } else {
        if (entry.kind === EntryKind.Directory) return `'${proof.path}' is a directory`;
        if (entry.id !== proof.fileId) return 'the file id does not match the entry';
      }
    }
    return undefined;
  } catch (error) {
    return `malformed proof: ${(error as Error).message}`;
  }
}

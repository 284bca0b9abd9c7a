import { hashBytes } from '../core/hash.js';
import { type MerkleGroupMemo, treeIdOfBytes } from '../objects/tree.js';
import { BlobType } from '../core/vocabulary.js';

/**
 * A blob's id is the BLAKE3 of its bytes, except a tree's, which is the Merkle root of its entries
 * (computed through `treeMemo` when given: the bytes are still all hashed, a group's memo key being
 * the hash of its bytes).
 */
export function verifyBlob(type: BlobType, id: Buffer, bytes: Buffer, treeMemo?: MerkleGroupMemo): boolean {
  if (type === BlobType.Tree) {
    try {
      return treeIdOfBytes(bytes, treeMemo).equals(id);
    } catch {
      return false;
    }
  }
  return hashBytes(bytes).equals(id);
}

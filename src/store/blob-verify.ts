import { hashBytes } from '../core/hash.js';
import { treeIdOfBytes } from '../objects/tree.js';
import { BlobType } from '../core/vocabulary.js';

/** A blob's id is the BLAKE3 of its bytes, except a tree's, which is the Merkle root of its entries. */
export function verifyBlob(type: BlobType, id: Buffer, bytes: Buffer): boolean {
  if (type === BlobType.Tree) {
    try {
      return treeIdOfBytes(bytes).equals(id);
    } catch {
      return false;
    }
  }
  return hashBytes(bytes).equals(id);
}

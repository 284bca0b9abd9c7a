import type { CommitRow } from '../src/catalog/catalog.js';
import { encodeCommit } from '../src/objects/commit.js';
import { BlobType } from '../src/core/vocabulary.js';

/** What crafting a commit needs of a blob writer (the compiled one or the source one: the same bytes). */
interface CraftingWriter {
  addBlob(type: BlobType, id: Buffer, bytes: Uint8Array): unknown;
  addCommit(row: CommitRow): void;
  finish(): Promise<unknown>;
}

/**
 * Stores a commit of a root tree already added to `writer` (its trees may break every rule: the
 * writer does not judge), seals it, and returns the commit id. Moving a ref there is the caller's.
 */
export async function finishCraftedCommit(
  writer: CraftingWriter,
  rootId: Buffer,
  options: { logicalBytes: number; timeMs?: number; message?: string },
): Promise<string> {
  const commit = {
    treeId: rootId.toString('hex'),
    parentId: undefined,
    author: 'attacker',
    timeMs: options.timeMs ?? 1,
    fileCount: 1,
    logicalBytes: options.logicalBytes,
    message: options.message ?? 'crafted',
  };
  const encoded = encodeCommit(commit);
  writer.addBlob(BlobType.Commit, encoded.id, encoded.bytes);
  writer.addCommit({ ...commit, id: encoded.id, treeId: rootId, parentId: undefined });
  await writer.finish();
  return encoded.id.toString('hex');
}

import { StoreError } from '../../core/errors.js';
import { quotePath } from '../../core/path-bytes.js';
import type { RestoreFailure } from '../../core/restore-file.js';
import type { Commit } from '../../objects/commit.js';
import { DirectoriesHolding } from '../../objects/file-times.js';
import type { TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import { openCommitMetadata } from '../history/objects-io.js';
import { walkTreeFiles } from '../history/tree-walk.js';
import type { RestoreItem } from './files.js';
import { join } from 'node:path';

/**
 * A commit's files as restore items (checkout, switch, restore): its trees walked in path byte order,
 * each file with the time, mode and link group its commit recorded; and the error that names the
 * files a restore could not write.
 */

/** A file of a commit, with its position in the walk and what the commit recorded of it. */
export interface CommitFile {
  path: string;
  entry: TreeEntry;
  position: number;
  /** 0n: none recorded. */
  mtimeNs: bigint;
  mode: number;
  linkGroup: number;
}

/** A directory of a commit, with what the commit recorded of it (0n, 0: nothing). */
export interface CommitDirectory {
  path: string;
  mtimeNs: bigint;
  mode: number;
}

/**
 * A commit's files in path byte order, each with its recorded time, mode and link group, read by
 * position from the commit's blobs. The blobs pair with the tree by position, so their counts must
 * agree with the tree's: `check` takes the counts a walk found (before anything is written).
 * Memory holds the trees on the way down.
 */
export function openCommitFiles(repo: Repository, commit: Commit) {
  const treeId = Buffer.from(commit.treeId, 'hex');
  const metadata = openCommitMetadata(repo, commit);
  return {
    *files(): Generator<CommitFile> {
      let position = 0;
      for (const [path, entry] of walkTreeFiles(repo, treeId)) {
        const { mode, linkGroup } = metadata.modes?.fileMode(position) ?? { mode: 0, linkGroup: 0 };
        yield { path, entry, position, mtimeNs: metadata.times?.fileTime(position, path) ?? 0n, mode, linkGroup };
        position++;
      }
    },
    /** The directories holding `fileCount` files, with their metadata, once the counts are checked. */
    check,
    /** `check` after a walk of its own, for a caller whose first walk writes. */
    counted(): CommitDirectory[] {
      let fileCount = 0;
      const holding = new DirectoriesHolding();
      for (const [path] of walkTreeFiles(repo, treeId)) {
        fileCount++;
        holding.add(path);
      }
      return check(fileCount, holding.sorted());
    },
  };
  function check(fileCount: number, directoryPaths: readonly string[]): CommitDirectory[] {
    metadata.times?.checkCounts(fileCount, directoryPaths.length);
    metadata.modes?.checkCounts(fileCount, directoryPaths.length);
    return directoryPaths.map((path, index) => ({
      path,
      mtimeNs: metadata.times?.directoryTime(index) ?? 0n,
      mode: metadata.modes?.directoryMode(index) ?? 0,
    }));
  }
}

export function restoreItemOfFile(root: string, file: CommitFile): RestoreItem {
  return restoreItemOf(root, file.path, file.entry, { mtimeNs: file.mtimeNs === 0n ? undefined : file.mtimeNs, mode: file.mode });
}

/** A tree entry to write under `root`, with the time and mode its commit recorded (undefined, 0: none). */
export function restoreItemOf(root: string, path: string, entry: TreeEntry, recorded: { mtimeNs: bigint | undefined; mode: number }): RestoreItem {
  return {
    root,
    path,
    absolutePath: join(root, path),
    kind: entry.kind,
    fileId: entry.id.toString('hex'),
    sizeBytes: entry.sizeBytes,
    ...recorded,
  };
}

/** A checkout that could not restore every path has restored the others; this names the rest. */
export function throwIfFailed(failures: readonly RestoreFailure[], total: number): void {
  if (failures.length === 0) return;
  const corrupt = failures.find((failure) => failure.code.startsWith('CORRUPT_'));
  const lines = failures.map((failure) => `  ${quotePath(failure.path)}: ${failure.message}`).join('\n');
  const message = `could not restore ${failures.length} of ${total} paths (the others were restored):\n${lines}`;
  if (corrupt) throw new StoreError(corrupt.code as 'CORRUPT_OBJECT', message, { hint: 'run `store verify` to see what is damaged' });
  throw new StoreError('PARTIAL', message);
}

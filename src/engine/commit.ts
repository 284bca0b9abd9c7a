import { StoreError } from '../core/errors.js';
import { hashBytes } from '../core/hash.js';
import { encodeCommit } from '../objects/commit.js';
import { encodeFileTimes } from '../objects/file-times.js';
import type { Repository } from '../repository/repository.js';
import { BlobType } from '../store/pack-format.js';
import { readStaging } from '../staging/staging-area.js';
import { sortByPathBytes } from '../staging/staging-format.js';
import { readTreeCache, writeTreeCache } from '../staging/tree-cache.js';
import { commitTreeId } from './objects-io.js';
import { buildTrees } from './tree-builder.js';

export interface CommitOptions {
  message: string;
  author: string;
  /** Defaults to now; fixed in tests to get reproducible ids. */
  timeMs?: number;
}

export interface CommitResult {
  commitId: string;
  treeId: string;
  parentId: string | undefined;
  branch: string;
  fileCount: number;
  logicalBytes: number;
}

/** Turns the staging area into an immutable commit on the current branch. */
export async function commitStaged(repo: Repository, options: CommitOptions): Promise<CommitResult> {
  return repo.withWriteLock(async () => {
    // In path byte order: the order of the file times (and of the trees' runs).
    const entries = sortByPathBytes(readStaging(repo.layout.staging).entries);
    const headRef = repo.refs.headRef();
    const parentId = repo.refs.headCommit();
    const parentTreeId = parentId === undefined ? undefined : commitTreeId(repo, parentId).toString('hex');

    const writer = repo.newBlobWriter();
    try {
      const { root, cache } = buildTrees(entries, writer, readTreeCache(repo.layout.treeCache));
      const treeId = root.id.toString('hex');
      if (treeId === parentTreeId || (parentId === undefined && entries.length === 0)) {
        throw new StoreError('NOTHING_TO_COMMIT', 'nothing to commit: the staging area matches HEAD', {
          hint: 'use `store add PATH` or `store add -A` to stage changes',
        });
      }
      const times = encodeFileTimes(entries.map((entry) => entry.mtimeNs));
      const timesId = hashBytes(times);
      writer.addBlob(BlobType.FileTimes, timesId, times);
      const commit = {
        treeId,
        parentId,
        timesId: timesId.toString('hex'),
        author: options.author,
        timeMs: options.timeMs ?? Date.now(),
        fileCount: entries.length,
        logicalBytes: root.sizeBytes,
        message: options.message,
      };
      const encoded = encodeCommit(commit);
      writer.addBlob(BlobType.Commit, encoded.id, encoded.bytes);
      writer.addCommit({
        ...commit,
        id: encoded.id,
        treeId: root.id,
        parentId: parentId === undefined ? undefined : Buffer.from(parentId, 'hex'),
      });
      await writer.finish();
      const commitId = encoded.id.toString('hex');
      // The ref moves last: until then the new commit is unreachable, and a crash loses nothing.
      repo.refs.update(headRef, commitId);
      writeTreeCache(repo.layout, cache);
      return { commitId, treeId, parentId, branch: repo.refs.currentBranch(), fileCount: entries.length, logicalBytes: root.sizeBytes };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  });
}

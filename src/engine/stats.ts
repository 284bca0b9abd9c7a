import type { Repository } from '../repository/repository.js';
import { readStaging } from '../staging/staging-area.js';

export interface RepositoryStats {
  head: { commitId: string | undefined; fileCount: number; logicalBytes: number };
  staged: { fileCount: number; logicalBytes: number };
  commitCount: number;
  /** Sum of the logical size of every commit: what restoring all of them would write. */
  logicalBytesAllCommits: number;
  distinctFileContents: number;
  chunkCount: number;
  uniqueChunkBytes: number;
  /** Bytes of all pack files on disk (frames, footers and headers). */
  storedBytes: number;
  packCount: number;
  /** logical bytes (all commits, or the staging area before the first commit) / unique chunk bytes. */
  deduplicationRatio: number;
  /** unique chunk bytes / stored bytes. */
  compressionRatio: number;
}

export function computeStats(repo: Repository): RepositoryStats {
  const catalog = repo.catalog;
  const totals = catalog.totals();
  const commits = catalog.allCommits();
  const headId = repo.refs.headCommit();
  const headRow = headId === undefined ? undefined : catalog.commit(Buffer.from(headId, 'hex'));
  const staging = readStaging(repo.layout.staging).entries;
  const staged = { fileCount: staging.length, logicalBytes: staging.reduce((sum, entry) => sum + entry.sizeBytes, 0) };
  const logicalBytesAllCommits = commits.reduce((sum, commit) => sum + commit.logicalBytes, 0);
  const logicalForRatio = commits.length > 0 ? logicalBytesAllCommits : staged.logicalBytes;
  return {
    head: { commitId: headId, fileCount: headRow?.fileCount ?? 0, logicalBytes: headRow?.logicalBytes ?? 0 },
    staged,
    commitCount: commits.length,
    logicalBytesAllCommits,
    distinctFileContents: totals.fileVersionCount,
    chunkCount: totals.chunkCount,
    uniqueChunkBytes: totals.uniqueChunkBytes,
    storedBytes: totals.packBytes,
    packCount: totals.packCount,
    deduplicationRatio: ratio(logicalForRatio, totals.uniqueChunkBytes),
    compressionRatio: ratio(totals.uniqueChunkBytes, totals.packBytes),
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

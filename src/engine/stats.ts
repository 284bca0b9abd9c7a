import type { Repository } from '../repository/repository.js';
import { openStaging } from '../staging/staging-area.js';
import { IdSet } from '../core/id-set.js';
import { soleChunk } from '../objects/filemap.js';
import { collectEvery, WALK_COLLECT_EVERY } from '../core/memory.js';
import type { TreeEntry } from '../objects/tree.js';
import { fileRecord, loadCommit, loadFileMap, loadTree } from './history/objects-io.js';
import { walkTreeFiles } from './history/tree-walk.js';
import { EntryKind } from '../core/vocabulary.js';

export interface CommitGrowth {
  commitId: string;
  message: string;
  time: string;
  logicalBytes: number;
  /** Raw bytes of the chunks this commit was the first (in history order) to reference. */
  newChunkBytes: number;
  newChunkCount: number;
}

export interface RepositoryStats {
  head: { commitId: string | undefined; fileCount: number; logicalBytes: number };
  staged: { fileCount: number; logicalBytes: number };
  commitCount: number;
  /** Sum of the logical size of every commit: what restoring all of them would write. */
  logicalBytesAllCommits: number;
  /** Distinct file ids (contents) in the commits along the current branch. */
  distinctFileContents: number;
  chunkCount: number;
  uniqueChunkBytes: number;
  /** Bytes of all pack files on disk (frames, footers and headers). */
  storedBytes: number;
  packCount: number;
  /** Mean pack size as a fraction of the target size packs are sealed at. */
  packFill: number;
  /** logical bytes (all commits, or the staging area before the first commit) / unique chunk bytes. */
  deduplicationRatio: number;
  /** unique chunk bytes / stored bytes. */
  compressionRatio: number;
  /** Along the current branch, oldest first. */
  commits: CommitGrowth[];
  chunkSizeHistogram: { fromBytes: number; toBytes: number; count: number; bytes: number }[];
  /**
   * Files at HEAD taking the most stored bytes. A chunk's stored bytes are its share of its frame
   * (frames compress several chunks together): length x frame stored / frame raw.
   */
  largestStoredFiles: { path: string; logicalBytes: number; storedBytes: number }[];
}

const LARGEST_FILES_SHOWN = 10;

export function computeStats(repo: Repository): RepositoryStats {
  const catalog = repo.catalog;
  const totals = catalog.totals();
  const rows = catalog.allCommits();
  const headId = repo.refs.headCommit();
  const headRow = headId === undefined ? undefined : catalog.commit(Buffer.from(headId, 'hex'));
  const staging = openStaging(repo.layout.staging);
  const staged = { fileCount: staging.count, logicalBytes: 0 };
  for (const entry of staging) staged.logicalBytes += entry.sizeBytes;
  const logicalBytesAllCommits = rows.reduce((sum, commit) => sum + commit.logicalBytes, 0);
  const logicalForRatio = rows.length > 0 ? logicalBytesAllCommits : staged.logicalBytes;
  const history = walkHistory(repo, headId);
  return {
    head: { commitId: headId, fileCount: headRow?.fileCount ?? 0, logicalBytes: headRow?.logicalBytes ?? 0 },
    staged,
    commitCount: rows.length,
    logicalBytesAllCommits,
    // Not the catalog's files rows: a content of one chunk has none (format 2).
    distinctFileContents: history.distinctFileCount,
    chunkCount: totals.chunkCount,
    uniqueChunkBytes: totals.uniqueChunkBytes,
    storedBytes: totals.packBytes,
    packCount: totals.packCount,
    packFill: totals.packCount === 0 ? 0 : totals.packBytes / totals.packCount / repo.config.packTargetBytes,
    deduplicationRatio: ratio(logicalForRatio, totals.uniqueChunkBytes),
    compressionRatio: ratio(totals.uniqueChunkBytes, totals.packBytes),
    commits: history.commits,
    chunkSizeHistogram: catalog
      .chunkSizeHistogram()
      .map((bucket) => ({ fromBytes: 2 ** bucket.log2, toBytes: 2 ** (bucket.log2 + 1), count: bucket.count, bytes: bucket.bytes })),
    largestStoredFiles: largestStoredFiles(repo, headId),
  };
}

/**
 * Walks the branch oldest first; a subtree seen before adds nothing and is not read again. Contents
 * and chunks seen are kept in compact sets (IdSet): the memory stats grows with, 21-43 bytes each.
 */
function walkHistory(repo: Repository, headId: string | undefined): { commits: CommitGrowth[]; distinctFileCount: number } {
  const chain: string[] = [];
  for (let id = headId; id !== undefined; id = loadCommit(repo, id).parentId) chain.push(id);
  const pace = collectEvery(WALK_COLLECT_EVERY);
  const seenTrees = new IdSet();
  const seenFiles = new IdSet();
  const seenChunks = new IdSet();
  const commits = chain.reverse().map((commitId) => {
    const commit = loadCommit(repo, commitId);
    let newChunkBytes = 0;
    let newChunkCount = 0;
    const visit = (treeId: Buffer, depth = 0): void => {
      if (!seenTrees.add(treeId)) return;
      for (const entry of loadTree(repo, treeId, depth)) {
        if (entry.kind === EntryKind.Directory) {
          visit(entry.id, depth + 1);
          continue;
        }
        pace();
        if (!seenFiles.add(entry.id)) continue;
        const record = fileRecord(repo, entry.id);
        if (record === undefined) continue;
        const map = loadFileMap(repo, entry.id, record);
        const sole = soleChunk(map);
        if (sole !== undefined) {
          // A content of one chunk has that chunk's id: kept once, in seenFiles.
          if (seenChunks.has(entry.id)) continue;
          newChunkBytes += sole.length;
          newChunkCount++;
          continue;
        }
        for (const chunk of map.chunks) {
          if (seenFiles.has(chunk.id) || !seenChunks.add(chunk.id)) continue;
          newChunkBytes += chunk.length;
          newChunkCount++;
        }
      }
    };
    visit(Buffer.from(commit.treeId, 'hex'));
    return {
      commitId,
      message: commit.message.split('\n')[0] ?? '',
      time: new Date(commit.timeMs).toISOString(),
      logicalBytes: commit.logicalBytes,
      newChunkBytes,
      newChunkCount,
    };
  });
  return { commits, distinctFileCount: seenFiles.size };
}

function largestStoredFiles(repo: Repository, headId: string | undefined): RepositoryStats['largestStoredFiles'] {
  if (headId === undefined) return [];
  // Only the largest by logical size can be the largest stored (dedup and compression only shrink):
  // a walk keeps the few largest so far, not the tree.
  const keep = LARGEST_FILES_SHOWN * 5;
  let candidates: [string, TreeEntry][] = [];
  let smallestKept = -1;
  for (const [path, entry] of walkTreeFiles(repo, Buffer.from(loadCommit(repo, headId).treeId, 'hex'))) {
    if (entry.sizeBytes < smallestKept) continue;
    candidates.push([path, entry]);
    if (candidates.length < keep * 2) continue;
    candidates = largestFirst(candidates).slice(0, keep);
    smallestKept = candidates[keep - 1]![1].sizeBytes;
  }
  return largestFirst(candidates)
    .slice(0, keep)
    .map(([path, entry]) => {
      const record = fileRecord(repo, entry.id);
      let storedBytes = 0;
      for (const chunk of record === undefined ? [] : loadFileMap(repo, entry.id, record).chunks) {
        storedBytes += repo.catalog.chunkStoredShare(chunk.id)?.storedShare ?? 0;
      }
      return { path, logicalBytes: entry.sizeBytes, storedBytes: Math.round(storedBytes) };
    })
    .sort((a, b) => b.storedBytes - a.storedBytes)
    .slice(0, LARGEST_FILES_SHOWN);
}

function largestFirst(files: [string, TreeEntry][]): [string, TreeEntry][] {
  return files.sort(([, a], [, b]) => b.sizeBytes - a.sizeBytes);
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

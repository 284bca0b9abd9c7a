import type { Repository } from '../../repository/repository.js';
import { openStaging } from '../../staging/staging-area.js';
import { IdSet } from '../../core/id-set.js';
import { soleChunk } from '../../objects/filemap.js';
import { collectEvery, WALK_COLLECT_EVERY } from '../../core/memory.js';
import { fileRecord, loadCommit, loadFileMap, loadTree } from './objects-io.js';
import { EntryKind } from '../../core/vocabulary.js';

export interface LiveSet {
  /** Every blob some branch or the staging area needs, but chunks that are contents of their own (see isLiveBlob). */
  blobs: IdSet;
  /** The file contents they need. */
  files: IdSet;
  commits: IdSet;
}

/**
 * Everything reachable from the branches, tags and remote-tracking refs (all their history) and from
 * the staging area, in compact sets (IdSet: ~43-85 bytes a distinct blob, content or commit, the
 * memory gc and verify grow with). With `from`, only what those commits reach, walking no history
 * past a commit in `stopAt` (a push: what the remote has already), and not the staging area.
 */
export function computeLiveSet(repo: Repository, from?: { commits: readonly string[]; stopAt: ReadonlySet<string> }): LiveSet {
  const live: LiveSet = { blobs: new IdSet(), files: new IdSet(), commits: new IdSet() };
  const pace = collectEvery(WALK_COLLECT_EVERY);
  const addFile = (fileId: Buffer): void => {
    pace();
    if (!live.files.add(fileId)) return;
    const record = fileRecord(repo, fileId);
    if (record === undefined) return; // already missing: verify reports it, gc has nothing to keep
    if (record.filemapId !== undefined) live.blobs.add(record.filemapId);
    const map = loadFileMap(repo, fileId, record);
    if (soleChunk(map) !== undefined) return; // in `files` already (see isLiveBlob)
    for (const chunk of map.chunks) live.blobs.add(chunk.id);
  };
  const addTree = (treeId: Buffer, depth = 0): void => {
    if (!live.blobs.add(treeId)) return;
    for (const entry of loadTree(repo, treeId, depth)) {
      if (entry.kind === EntryKind.Directory) addTree(entry.id, depth + 1);
      else addFile(entry.id);
    }
  };
  for (const root of from?.commits ?? repo.refs.rootCommits()) {
    let commitId: string | undefined = root;
    while (commitId !== undefined && !from?.stopAt.has(commitId) && live.commits.add(Buffer.from(commitId, 'hex'))) {
      live.blobs.add(Buffer.from(commitId, 'hex'));
      const commit = loadCommit(repo, commitId);
      if (commit.timesId !== undefined) live.blobs.add(Buffer.from(commit.timesId, 'hex'));
      if (commit.modesId !== undefined) live.blobs.add(Buffer.from(commit.modesId, 'hex'));
      addTree(Buffer.from(commit.treeId, 'hex'));
      commitId = commit.parentId;
    }
  }
  if (from === undefined) for (const entry of openStaging(repo.layout.staging)) addFile(entry.fileId);
  keepDeltaBases(repo, live);
  return live;
}

/**
 * A live delta needs its base, whatever else needs it (an earlier version that only the staging area
 * once held, say): gc keeps it and push sends it. Chains are short, so a few passes over the deltas.
 */
function keepDeltaBases(repo: Repository, live: LiveSet): void {
  const edges = repo.catalog.deltaEdges();
  for (let added = true; added; ) {
    added = false;
    for (const edge of edges) {
      if (isLiveBlob(live, edge.id) && !isLiveBlob(live, edge.baseId)) added = live.blobs.add(edge.baseId) || added;
    }
  }
}

/**
 * Whether a blob is needed. A content of one chunk has that chunk's id, and is kept once, in
 * `files` (most contents of a tree of small files: one set, not two, of a million ids). A blob id
 * found in `files` otherwise only keeps a blob that might have gone: never the unsafe way.
 */
export function isLiveBlob(live: LiveSet, id: Buffer): boolean {
  return live.blobs.has(id) || live.files.has(id);
}

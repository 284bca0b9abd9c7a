import type { Repository } from '../../repository/repository.js';
import { openStaging } from '../../staging/staging-area.js';
import { IdSet } from '../../core/id-set.js';
import { fileRecord, loadCommit, loadFileMap, loadTree } from './objects-io.js';
import { EntryKind } from '../../core/vocabulary.js';

export interface LiveSet {
  /** Every blob some branch or the staging area needs. */
  blobs: IdSet;
  /** The file contents they need. */
  files: IdSet;
  commits: IdSet;
}

/**
 * Everything reachable from the branches and tags (all their history) and from the staging area, in
 * compact sets (IdSet: ~43-85 bytes a distinct blob, content or commit, the memory gc and verify grow with).
 */
export function computeLiveSet(repo: Repository): LiveSet {
  const live: LiveSet = { blobs: new IdSet(), files: new IdSet(), commits: new IdSet() };
  const addFile = (fileId: Buffer): void => {
    if (!live.files.add(fileId)) return;
    const record = fileRecord(repo, fileId);
    if (record === undefined) return; // already missing: verify reports it, gc has nothing to keep
    if (record.filemapId !== undefined) live.blobs.add(record.filemapId);
    for (const chunk of loadFileMap(repo, fileId, record).chunks) live.blobs.add(chunk.id);
  };
  const addTree = (treeId: Buffer, depth = 0): void => {
    if (!live.blobs.add(treeId)) return;
    for (const entry of loadTree(repo, treeId, depth)) {
      if (entry.kind === EntryKind.Directory) addTree(entry.id, depth + 1);
      else addFile(entry.id);
    }
  };
  for (const root of repo.refs.rootCommits()) {
    let commitId: string | undefined = root;
    while (commitId !== undefined && live.commits.add(Buffer.from(commitId, 'hex'))) {
      live.blobs.add(Buffer.from(commitId, 'hex'));
      const commit = loadCommit(repo, commitId);
      if (commit.timesId !== undefined) live.blobs.add(Buffer.from(commit.timesId, 'hex'));
      if (commit.modesId !== undefined) live.blobs.add(Buffer.from(commit.modesId, 'hex'));
      addTree(Buffer.from(commit.treeId, 'hex'));
      commitId = commit.parentId;
    }
  }
  for (const entry of openStaging(repo.layout.staging)) addFile(entry.fileId);
  return live;
}

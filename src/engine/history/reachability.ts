import type { Repository } from '../../repository/repository.js';
import { readStaging } from '../../staging/staging-area.js';
import { fileRecord, loadCommit, loadFileMap, loadTree } from './objects-io.js';
import { EntryKind } from '../../core/vocabulary.js';

export interface LiveSet {
  /** Hex ids of every blob some branch or the staging area needs. */
  blobs: Set<string>;
  /** Hex ids of the file contents they need. */
  files: Set<string>;
  commits: Set<string>;
}

/** Everything reachable from the branches and tags (all their history) and from the staging area. */
export function computeLiveSet(repo: Repository): LiveSet {
  const live: LiveSet = { blobs: new Set(), files: new Set(), commits: new Set() };
  const addFile = (fileId: Buffer): void => {
    const hex = fileId.toString('hex');
    if (live.files.has(hex)) return;
    live.files.add(hex);
    const record = fileRecord(repo, fileId);
    if (record === undefined) return; // already missing: verify reports it, gc has nothing to keep
    if (record.filemapId !== undefined) live.blobs.add(record.filemapId.toString('hex'));
    for (const chunk of loadFileMap(repo, fileId, record).chunks) live.blobs.add(chunk.id.toString('hex'));
  };
  const addTree = (treeId: Buffer, depth = 0): void => {
    const hex = treeId.toString('hex');
    if (live.blobs.has(hex)) return;
    live.blobs.add(hex);
    for (const entry of loadTree(repo, treeId, depth)) {
      if (entry.kind === EntryKind.Directory) addTree(entry.id, depth + 1);
      else addFile(entry.id);
    }
  };
  for (const root of repo.refs.rootCommits()) {
    let commitId: string | undefined = root;
    while (commitId !== undefined && !live.commits.has(commitId)) {
      live.commits.add(commitId);
      live.blobs.add(commitId);
      const commit = loadCommit(repo, commitId);
      if (commit.timesId !== undefined) live.blobs.add(commit.timesId);
      if (commit.modesId !== undefined) live.blobs.add(commit.modesId);
      addTree(Buffer.from(commit.treeId, 'hex'));
      commitId = commit.parentId;
    }
  }
  for (const entry of readStaging(repo.layout.staging).entries) addFile(entry.fileId);
  return live;
}

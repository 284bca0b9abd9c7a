import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { Repository } from '../repository/repository.js';
import { readStaging } from '../staging/staging-area.js';
import { isUnchanged, lstatTracked } from './worktree/tracked.js';
import { LeadingDirectories } from './worktree/leading-directories.js';
import { hashWorkTreeFile } from './worktree/content-hash.js';
import { loadCommit } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';
import type { Change } from './worktree/status.js';
import { flattenTree } from './history/tree-walk.js';
import type { EntryKind } from '../core/vocabulary.js';

/** One side of a comparison: path -> what is there. */
export type Snapshot = Map<string, { kind: EntryKind; fileId: Buffer; sizeBytes: number }>;

export interface FileDiff {
  path: string;
  change: Change;
  oldSizeBytes?: number;
  newSizeBytes?: number;
  oldFileId?: string;
  newFileId?: string;
}

export function commitSnapshot(repo: Repository, revision: string): Snapshot {
  const commit = loadCommit(repo, resolveCommit(repo, revision));
  const snapshot: Snapshot = new Map();
  for (const [path, entry] of flattenTree(repo, Buffer.from(commit.treeId, 'hex')))
    snapshot.set(path, { kind: entry.kind, fileId: entry.id, sizeBytes: entry.sizeBytes });
  return snapshot;
}

/** HEAD, or nothing before the first commit. */
export function headSnapshot(repo: Repository): Snapshot {
  return repo.refs.headCommit() === undefined ? new Map() : commitSnapshot(repo, 'HEAD');
}

export function stagingSnapshot(repo: Repository): Snapshot {
  return new Map(readStaging(repo.layout.staging).entries.map((entry) => [entry.path, { kind: entry.kind, fileId: entry.fileId, sizeBytes: entry.sizeBytes }]));
}

/** The tracked files as they are on disk now (content hashed only where the stat data changed). */
export function workTreeSnapshot(repo: Repository): Snapshot {
  const staging = readStaging(repo.layout.staging);
  const snapshot: Snapshot = new Map();
  const leading = new LeadingDirectories(repo.workTree);
  for (const entry of staging.entries) {
    const file = lstatTracked(repo.workTree, entry.path, leading);
    if (file === undefined) continue;
    if (isUnchanged(entry, file, staging)) {
      snapshot.set(entry.path, { kind: entry.kind, fileId: entry.fileId, sizeBytes: entry.sizeBytes });
      continue;
    }
    try {
      snapshot.set(entry.path, { kind: file.kind, fileId: hashWorkTreeFile(join(repo.workTree, entry.path), file.kind).fileId, sizeBytes: file.stats.size });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return snapshot;
}

/** What changed from `before` to `after`, sorted by path. */
export function diffSnapshots(before: Snapshot, after: Snapshot): FileDiff[] {
  const diffs: FileDiff[] = [];
  for (const [path, old] of before) {
    const current = after.get(path);
    if (current === undefined) diffs.push({ path, change: 'deleted', oldSizeBytes: old.sizeBytes, oldFileId: old.fileId.toString('hex') });
    else if (current.kind !== old.kind || !current.fileId.equals(old.fileId)) {
      diffs.push({
        path,
        change: current.kind !== old.kind ? 'typechange' : 'modified',
        oldSizeBytes: old.sizeBytes,
        newSizeBytes: current.sizeBytes,
        oldFileId: old.fileId.toString('hex'),
        newFileId: current.fileId.toString('hex'),
      });
    }
  }
  for (const [path, current] of after) {
    if (!before.has(path)) diffs.push({ path, change: 'added', newSizeBytes: current.sizeBytes, newFileId: current.fileId.toString('hex') });
  }
  return diffs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

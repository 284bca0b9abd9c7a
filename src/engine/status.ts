import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { readStaging } from '../staging/staging-area.js';
import { isUnchanged, lstatTracked } from './add.js';
import { hashWorkTreeFile } from './content-hash.js';
import { loadCommit } from './objects-io.js';
import { scanWorkTree, type SkippedPath } from './scanner.js';
import { flattenTree } from './tree-walk.js';

export type Change = 'added' | 'modified' | 'deleted' | 'typechange';

export interface PathChange {
  path: string;
  change: Change;
}

export interface StatusReport {
  branch: string;
  headCommit: string | undefined;
  /** Staging area against HEAD: what the next commit would change. */
  staged: PathChange[];
  /** Work tree against staging area: changes not staged yet. */
  unstaged: PathChange[];
  untracked: string[];
  unreadable: SkippedPath[];
}

/** Compares HEAD, the staging area and the work tree, as `git status` does. Reads file content only where stat data changed. */
export function computeStatus(repo: Repository): StatusReport {
  const headCommit = repo.refs.headCommit();
  const headFiles: Map<string, TreeEntry> = headCommit === undefined ? new Map() : flattenTree(repo, Buffer.from(loadCommit(repo, headCommit).treeId, 'hex'));
  const snapshot = readStaging(repo.layout.staging);

  const staged: PathChange[] = [];
  const stagedPaths = new Set<string>();
  for (const entry of snapshot.entries) {
    stagedPaths.add(entry.path);
    const head = headFiles.get(entry.path);
    if (head === undefined) staged.push({ path: entry.path, change: 'added' });
    else if (head.kind !== entry.kind) staged.push({ path: entry.path, change: 'typechange' });
    else if (!head.id.equals(entry.fileId)) staged.push({ path: entry.path, change: 'modified' });
  }
  for (const path of headFiles.keys()) if (!stagedPaths.has(path)) staged.push({ path, change: 'deleted' });

  const scan = scanWorkTree(repo.workTree, ['']);
  const onDisk = new Map(scan.files.map((file) => [file.path, file]));
  const unstaged: PathChange[] = [];
  const unreadable = [...scan.unreadable];
  for (const entry of snapshot.entries) {
    // A tracked file stays tracked when an ignore rule matches it later, as in git.
    const file = onDisk.get(entry.path) ?? lstatTracked(repo.workTree, entry.path);
    if (file === undefined) {
      unstaged.push({ path: entry.path, change: 'deleted' });
      continue;
    }
    if (isUnchanged(entry, file, snapshot)) continue;
    if (file.kind !== entry.kind) {
      unstaged.push({ path: entry.path, change: 'typechange' });
      continue;
    }
    try {
      if (!hashWorkTreeFile(join(repo.workTree, entry.path), file.kind).equals(entry.fileId)) {
        unstaged.push({ path: entry.path, change: 'modified' });
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') unstaged.push({ path: entry.path, change: 'deleted' });
      else unreadable.push({ path: entry.path, reason: errnoCode(error) ?? String(error) });
    }
  }
  const untracked = scan.files.filter((file) => !stagedPaths.has(file.path)).map((file) => file.path);
  const byPath = (a: PathChange, b: PathChange): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { branch: repo.refs.currentBranch(), headCommit, staged: staged.sort(byPath), unstaged: unstaged.sort(byPath), untracked, unreadable };
}

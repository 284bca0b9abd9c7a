import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { Repository } from '../repository/repository.js';
import { readStaging } from '../staging/staging-area.js';
import { isUnchanged, lstatTracked } from './add.js';
import { hashWorkTreeFile } from './content-hash.js';
import { commitTreeId } from './objects-io.js';
import { scanWorkTree, type SkippedPath } from './scanner.js';
import { stagedChanges } from './staged-changes.js';

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
  const snapshot = readStaging(repo.layout.staging);
  const staged = stagedChanges(repo, snapshot.entries, headCommit === undefined ? undefined : commitTreeId(repo, headCommit));
  const stagedPaths = new Set(snapshot.entries.map((entry) => entry.path));

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

import { errnoCode } from '../../core/errors.js';
import type { Repository } from '../../repository/repository.js';
import { isRacilyClean, nowNs, readStaging, writeStaging } from '../../staging/staging-area.js';
import type { StagedEntry, StagingSnapshot } from '../../staging/staging-format.js';
import { compareWithWorkTree, lstatTracked } from './tracked.js';
import { LeadingDirectories } from './leading-directories.js';
import { commitTreeId } from '../history/objects-io.js';
import { scanWorkTree, type SkippedPath } from './scanner.js';
import { stagedChanges, type Change, type PathChange } from './staged-changes.js';

export type { Change, PathChange };

export interface StatusReport {
  branch: string;
  headCommit: string | undefined;
  /** Staging area against HEAD: what the next commit would change. */
  staged: PathChange[];
  /** Work tree against staging area: changes not staged yet. */
  unstaged: PathChange[];
  untracked: string[];
  unreadable: SkippedPath[];
  /** Directories with a repository of their own, not descended into. */
  nestedRepositories: string[];
}

export interface StatusOptions {
  /**
   * Write back the stat data of files whose stat data changed but whose content did not, so that the
   * next status or add need not read them again (git's status refreshes its index alike). Optional:
   * skipped when another writer holds the lock or the repository is read-only.
   */
  refresh?: boolean;
}

/** Compares HEAD, the staging area and the work tree, as `git status` does. Reads file content only where stat data changed. */
export function computeStatus(repo: Repository, options: StatusOptions = {}): StatusReport {
  const scanStartedAtNs = nowNs();
  const headCommit = repo.refs.headCommit();
  const snapshot = readStaging(repo.layout.staging);
  const staged = stagedChanges(repo, snapshot.entries, headCommit === undefined ? undefined : commitTreeId(repo, headCommit));
  const stagedPaths = new Set(snapshot.entries.map((entry) => entry.path));

  const scan = scanWorkTree(repo.workTree, ['']);
  const onDisk = new Map(scan.files.map((file) => [file.path, file]));
  const unstaged: PathChange[] = [];
  const unreadable = [...scan.unreadable];
  const verified: StagedEntry[] = [];
  const leading = new LeadingDirectories(repo.workTree);
  for (const entry of snapshot.entries) {
    // A tracked file stays tracked when an ignore rule matches it later, as in git.
    const found = compareWithWorkTree(repo, entry, snapshot, onDisk.get(entry.path) ?? lstatTracked(repo.workTree, entry.path, leading));
    if (found.change !== undefined) unstaged.push({ path: entry.path, change: found.change });
    else if (found.unreadable !== undefined) unreadable.push({ path: entry.path, reason: found.unreadable });
    else if (found.verified !== undefined) verified.push(found.verified);
  }
  if (options.refresh && verified.length > 0 && !suspectsLeft(snapshot, verified)) refreshStatData(repo, snapshot, verified, scanStartedAtNs);
  const untracked = scan.files.filter((file) => !stagedPaths.has(file.path)).map((file) => file.path);
  const byPath = (a: PathChange, b: PathChange): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    branch: repo.refs.currentBranch(),
    headCommit,
    staged: staged.sort(byPath),
    unstaged: unstaged.sort(byPath),
    untracked,
    unreadable,
    nestedRepositories: scan.nestedRepositories,
  };
}

/**
 * Whether an entry suspect by its time (racily clean) was not verified here: a staging area written
 * with a later time would make it look clean on stat data alone, though it may have changed unseen.
 */
function suspectsLeft(snapshot: StagingSnapshot, verified: readonly StagedEntry[]): boolean {
  const verifiedPaths = new Set(verified.map((entry) => entry.path));
  return snapshot.entries.some((entry) => isRacilyClean(entry, snapshot) && !verifiedPaths.has(entry.path));
}

/**
 * Rewrites the staging area with fresh stat data for entries whose content was just verified, unless
 * another writer holds the lock or replaced the staging area since it was read. The new staging
 * area's time is when this status began, before any file was read: an entry modified after that
 * stays suspect (see isRacilyClean). Returns whether it wrote.
 */
function refreshStatData(repo: Repository, read: StagingSnapshot, verified: readonly StagedEntry[], scanStartedAtNs: bigint): boolean {
  try {
    const written = repo.tryWithWriteLock(() => {
      const current = readStaging(repo.layout.staging);
      if (current.checksum === undefined || read.checksum === undefined || !current.checksum.equals(read.checksum)) return false;
      const entries = new Map(current.entries.map((entry) => [entry.path, entry]));
      for (const entry of verified) entries.set(entry.path, entry);
      writeStaging(repo.layout, [...entries.values()], scanStartedAtNs);
      return true;
    });
    return written === true;
  } catch (error) {
    // An optional write: a read-only repository still answers status.
    if (['EACCES', 'EPERM', 'EROFS'].includes(errnoCode(error) ?? '')) return false;
    throw error;
  }
}

import { errnoCode } from '../../core/errors.js';
import type { RepositoryLayout } from '../../repository/layout.js';
import type { Repository } from '../../repository/repository.js';
import { isRacilyClean, nowNs, openStagingToRead, stagingChecksumOnDisk, writeStagingFrom } from '../../staging/staging-area.js';
import { type ReplacedEntry, withEntriesReplaced } from '../../staging/staged-runs-of.js';
import type { StagingView } from '../../staging/staging-format.js';
import { compareWithWorkTree, matchWorkTree, startWholeTreeMatch, type WholeTreeMatchStart } from './tracked.js';
import { newWalkReport, type SkippedPath } from './scanner.js';
import { stagedChanges, type Change, type PathChange } from './staged-changes.js';

export type { Change, PathChange };

export interface StatusReport {
  /** Undefined on a detached HEAD. */
  branch: string | undefined;
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
  /**
   * git's --untracked-files: 'normal' (the default) shows a directory holding no tracked file as
   * `dir/`, not file by file; 'all' lists every file; 'no' none.
   */
  untracked?: UntrackedFiles;
}

export type UntrackedFiles = 'no' | 'normal' | 'all';

/** A status begun (beginStatus): when its scan started, and its walk of the whole tree, listing from then on. */
export interface StatusStart {
  workTree: string;
  scanStartedAtNs: bigint;
  match: WholeTreeMatchStart;
}

/**
 * Begins a status of the repository at `layout`: the scan's start time is taken, then its first
 * directories are listed from now on. computeStatus begins its own unless given one; the CLI begins it
 * before its own start-up (see cli/status-begun-early.ts).
 */
export function beginStatus(layout: RepositoryLayout): StatusStart {
  const scanStartedAtNs = nowNs();
  return { workTree: layout.workTree, scanStartedAtNs, match: startWholeTreeMatch(layout) };
}

/**
 * Compares HEAD, the staging area and the work tree, as `git status` does. Reads file content only
 * where stat data changed. The work tree's walk and the staging area (read in place) are both in
 * path byte order and are merged as they go: memory holds the changes found, not the tree.
 */
export function computeStatus(repo: Repository, options: StatusOptions = {}, begun?: StatusStart): StatusReport {
  if (begun !== undefined && begun.workTree !== repo.workTree) throw new Error(`a status begun in ${begun.workTree}, not ${repo.workTree}`);
  const { scanStartedAtNs, match: started } = begun ?? beginStatus(repo.layout);
  const headCommit = repo.refs.headCommit();
  const staging = openStagingToRead(repo.layout);
  const staged = stagedChanges(repo, staging, headCommit);

  const report = newWalkReport();
  const unstaged: PathChange[] = [];
  const untracked: string[] = [];
  const untrackedMode = options.untracked ?? 'normal';
  const outermostUntracked = untrackedMode === 'normal' ? untrackedDirectories(staging) : (path: string) => path;
  const tracked: SkippedPath[] = [];
  const verified: ReplacedEntry[] = [];
  let suspectsLeft = false;
  for (const { index, file } of matchWorkTree(repo, staging, [''], report, { skipUnchanged: () => {}, started })) {
    if (index === -1) {
      if (untrackedMode === 'no') continue;
      const shown = outermostUntracked(file!.path);
      // In walk order, the files of a collapsed directory come one after another.
      if (untracked.at(-1) !== shown) untracked.push(shown);
      continue;
    }
    if (file !== undefined && staging.isUnchangedAt(index, file.kind, file.stats)) continue; // most files: nothing decoded
    const entry = staging.entryAt(index);
    const found = compareWithWorkTree(repo, entry, staging, file);
    if (found.change !== undefined) unstaged.push({ path: entry.path, change: found.change });
    else if (found.unreadable !== undefined) tracked.push({ path: entry.path, reason: found.unreadable });
    else if (found.verified !== undefined) verified.push({ index, entry: found.verified });
    // A racily clean entry not verified here would look clean on stat data alone once rewritten.
    if (found.verified === undefined && isRacilyClean(entry, staging)) suspectsLeft = true;
  }
  if (options.refresh && verified.length > 0 && !suspectsLeft) refreshStatData(repo, staging, verified, scanStartedAtNs);
  const byPath = (a: PathChange, b: PathChange): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    branch: repo.refs.currentBranch(),
    headCommit,
    staged: staged.sort(byPath),
    unstaged: unstaged.sort(byPath),
    untracked,
    unreadable: [...report.unreadable, ...tracked],
    nestedRepositories: report.nestedRepositories,
  };
}

/**
 * Rewrites the staging area with fresh stat data for entries whose content was just verified, unless
 * another writer holds the lock or replaced the staging area since it was read. The new staging
 * area's time is when this status began, before any file was read: an entry modified after that
 * stays suspect (see isRacilyClean). The other entries are copied as the bytes they are: decoded
 * whole into objects and a map, the staging area of 500,000 files took a status to ~480 MB (measured
 * with /usr/bin/time, 5,000 files verified). Returns whether it wrote.
 */
function refreshStatData(repo: Repository, read: StagingView, verified: ReplacedEntry[], scanStartedAtNs: bigint): boolean {
  try {
    const written = repo.tryWithWriteLock(() => {
      // Still the file that was read (its checksum): `read` holds its bytes, and the indexes found in it hold.
      if (!stagingChecksumOnDisk(repo.layout.staging)?.equals(read.checksum)) return false;
      verified.sort((a, b) => a.index - b.index);
      writeStagingFrom(repo.layout, () => withEntriesReplaced(read, verified), scanStartedAtNs);
      return true;
    });
    return written === true;
  } catch (error) {
    // An optional write: a read-only repository still answers status.
    if (['EACCES', 'EPERM', 'EROFS'].includes(errnoCode(error) ?? '')) return false;
    throw error;
  }
}

/**
 * For an untracked file, what git's status shows of it: its outermost directory that holds no
 * tracked file (`dir/`), or the file itself when its own directory holds one. A directory is looked
 * up once in the staging area (a binary search for the first path under it).
 */
function untrackedDirectories(staging: StagingView): (path: string) => string {
  const holdsTracked = new Map<string, boolean>();
  const hasTrackedUnder = (directory: string): boolean => {
    let known = holdsTracked.get(directory);
    if (known === undefined) {
      const at = staging.indexOf(directory); // never staged itself: ends with '/'
      const next = at < 0 ? -1 - at : at;
      known = next < staging.count && staging.pathAt(next).startsWith(directory);
      if (holdsTracked.size > 4096) holdsTracked.clear(); // bounded: the walk moves on
      holdsTracked.set(directory, known);
    }
    return known;
  };
  return (path) => {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      const directory = path.slice(0, slash + 1);
      if (!hasTrackedUnder(directory)) return directory;
    }
    return path;
  };
}

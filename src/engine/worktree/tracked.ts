import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { fsPath } from '../../core/path-bytes.js';
import { EntryKind } from '../../core/vocabulary.js';
import type { RepositoryLayout } from '../../repository/layout.js';
import type { Repository } from '../../repository/repository.js';
import { isRacilyClean } from '../../staging/staging-area.js';
import type { StagedEntry, StagingSnapshot, StagingView } from '../../staging/staging-format.js';
import { compareUtf8 } from '../../core/utf8-order.js';
import { hashWorkTreeFile } from './content-hash.js';
import {
  kindOf,
  type ListingPrefetch,
  listWholeTreeAhead,
  msFromNs,
  toScanStat,
  walkWorkTree,
  workTreePath,
  type ScannedFile,
  type StatData,
  type TakeUnchanged,
  type WalkReport,
} from './scanner.js';
import type { LstatNumbers } from '../../core/list-directory.js';
import type { Change } from './staged-changes.js';
import { LeadingDirectories } from './leading-directories.js';
import { isWithin } from './paths.js';
import { DirectoryCache } from './directory-cache.js';

/**
 * Tracked files against the work tree: what a staged entry's file is now, whether it is unchanged
 * (stat data alone, where that can be trusted), and the entry that records it. Shared by add,
 * status, checkout and rm, so that "changed" means one thing everywhere.
 */

/** A tracked path as it is in the work tree now; undefined when gone, or under a symlink (see LeadingDirectories). */
export function lstatTracked(workTree: string, path: string, leading = new LeadingDirectories(workTree)): ScannedFile | undefined {
  if (leading.firstNotReal(path) !== undefined) return undefined;
  try {
    const stats = lstatSync(fsPath(workTreePath(workTree, path)));
    const kind = kindOf(stats);
    return typeof kind === 'string' ? undefined : { path, kind, stats: toScanStat(stats) };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR' || errnoCode(error) === 'ELOOP') return undefined;
    throw error;
  }
}

/**
 * Stat data equal to the staged ones, and not modified so close to staging that mtime can't tell.
 * Staged times and inode are exact; they are compared as the numbers an lstat reports for them.
 */
export function isUnchanged(previous: StagedEntry, file: ScannedFile, snapshot: Pick<StagingSnapshot, 'writtenAtNs'>): boolean {
  const stats = file.stats;
  return (
    previous.kind === file.kind &&
    previous.sizeBytes === stats.size &&
    msFromNs(previous.mtimeNs) === stats.mtimeMs &&
    msFromNs(previous.ctimeNs) === stats.ctimeMs &&
    Number(previous.ino) === stats.ino &&
    !isRacilyClean(previous, snapshot)
  );
}

export function toStagedEntry(path: string, kind: StagedEntry['kind'], stats: StatData, fileId: Buffer): StagedEntry {
  return {
    path,
    kind,
    mode: Number(stats.mode),
    sizeBytes: Number(stats.size),
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    ino: stats.ino,
    dev: stats.dev,
    fileId,
  };
}

/** How a staged entry and the work tree's file compare: a change, or the same (freshly verified, when it was read). */
export interface WorkTreeComparison {
  change?: Change;
  /** Why the file could not be read. */
  unreadable?: string;
  /** The entry with fresh stat data, when the content was read and found the same. */
  verified?: StagedEntry;
}

/** `file`: the work tree's file at the entry's path (undefined when there is none); read only when its stat data changed. */
export function compareWithWorkTree(
  repo: Repository,
  entry: StagedEntry,
  snapshot: Pick<StagingSnapshot, 'writtenAtNs'>,
  file: ScannedFile | undefined,
): WorkTreeComparison {
  if (file === undefined) return { change: 'deleted' };
  if (isUnchanged(entry, file, snapshot)) return {};
  if (file.kind !== entry.kind) return { change: 'typechange' };
  try {
    const content = hashWorkTreeFile(join(repo.workTree, entry.path), file.kind);
    if (!content.fileId.equals(entry.fileId)) return { change: 'modified' };
    // A permission change is a change, as git counts the exec bit (mode 0: staged without stat data).
    const permissions = (mode: number | bigint): number => Number(mode) & 0o7777;
    if (entry.kind !== EntryKind.Symlink && permissions(entry.mode) !== 0 && permissions(entry.mode) !== permissions(file.stats.mode))
      return { change: 'modified' };
    return content.stats ? { verified: toStagedEntry(entry.path, entry.kind, content.stats, entry.fileId) } : {};
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { change: 'deleted' };
    return { unreadable: errnoCode(error) ?? String(error) };
  }
}

/** A match of the whole work tree begun early (see startWholeTreeMatch). */
export interface WholeTreeMatchStart {
  directoryCache: DirectoryCache;
  prefetch: ListingPrefetch;
}

/**
 * Begins a match of the whole work tree (matchWorkTree's `started`, with scopes ['']): its first
 * directories are listed from now on (see listWholeTreeAhead). Called before the staging area is
 * opened, after the scan's start time is taken.
 */
export function startWholeTreeMatch(layout: RepositoryLayout): WholeTreeMatchStart {
  const directoryCache = new DirectoryCache(layout, true);
  return { directoryCache, prefetch: listWholeTreeAhead(layout.workTree, directoryCache) };
}

/** A staged entry (its index) with the work tree's file at its path (undefined: none), or an untracked file (index -1). */
export type WorkTreeMatch = { index: number; file: ScannedFile | undefined } | { index: -1; file: ScannedFile };

/**
 * The work tree's walk under `scopes` merged with the staging area read in place, both in path byte
 * order: each staged entry in scope with the file at its path now, and each untracked file, as they
 * come. Memory holds the directories on the way down, not the tree. A tracked file the walk does not
 * yield (gone, now ignored, or under a directory it skipped) is looked up on its own: a tracked file
 * stays tracked when an ignore rule matches it later, as in git. Entries out of scope are passed over,
 * and so, when `skipUnchanged` is given, are entries whose file's stat data did not change
 * (isUnchangedAt): it is called instead with each run of them (the first one's index, how many).
 */
export function* matchWorkTree(
  repo: Repository,
  staging: StagingView,
  scopes: readonly string[],
  report: WalkReport,
  options: { includeIgnored?: boolean; skipUnchanged?: (first: number, count: number) => void; started?: WholeTreeMatchStart } = {},
): Generator<WorkTreeMatch> {
  if (options.started !== undefined && !scopes.includes('')) throw new Error('a match begun early is of the whole tree');
  const leading = new LeadingDirectories(repo.workTree);
  const wanted = (index: number): boolean => {
    const path = staging.pathAt(index);
    return scopes.some((scope) => isWithin(path, scope));
  };
  let next = 0;
  // The next staged entry, when it is the listed file and its stat data did not change: compared
  // as bytes and numbers in place, nothing decoded (a clean status is mostly this).
  const stats: LstatNumbers = { mode: 0, size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, dev: 0 };
  // A run of unchanged files, found in one native call (StagingView.unchangedRun) and taken at once;
  // where it finds none, the next file alone is checked as isUnchangedAt checks it.
  const takeUnchanged: TakeUnchanged = (directory, listing, index) => {
    if (next >= staging.count) return 0;
    const run = staging.unchangedRun(next, directory, listing, index);
    if (run > 0) {
      options.skipUnchanged!(next, run);
      next += run;
      return run;
    }
    if (!staging.isPathAt(next, directory, listing.names, listing.nameStart(index), listing.nameEnd(index))) return 0;
    listing.statsAt(index, stats);
    const kind = kindOf(stats);
    if (typeof kind === 'string' || !staging.isUnchangedAt(next, kind, stats)) return 0;
    options.skipUnchanged!(next++, 1);
    return 1;
  };
  // Written only by a walk of the whole tree: a partial one would drop the directories it skipped.
  const directoryCache = options.started?.directoryCache ?? new DirectoryCache(repo.layout, scopes.includes(''));
  const walkOptions = {
    includeIgnored: options.includeIgnored,
    takeUnchanged: options.skipUnchanged ? takeUnchanged : undefined,
    directoryCache,
    prefetch: options.started?.prefetch,
  };
  let walked = false;
  try {
    // Loops, not a generator per file: one generator object a file was a fifth of a clean status.
    for (const file of walkWorkTree(repo.workTree, scopes, report, walkOptions)) {
      while (next < staging.count && compareUtf8(staging.pathAt(next), file.path) < 0) {
        const index = next++;
        if (wanted(index)) yield { index, file: lstatTracked(repo.workTree, staging.pathAt(index), leading) };
      }
      if (next < staging.count && staging.pathAt(next) === file.path) yield { index: next++, file };
      else yield { index: -1, file };
    }
    walked = true;
  } finally {
    if (!walked) directoryCache.discard();
  }
  directoryCache.finish();
  for (; next < staging.count; next++) if (wanted(next)) yield { index: next, file: lstatTracked(repo.workTree, staging.pathAt(next), leading) };
}

import { constants, type BigIntStats, type Stats } from 'node:fs';
import { type DirectoryListing, type LstatNumbers, listDirectory, startListing } from '../../core/list-directory.js';
import { encodeName } from '../../core/path-bytes.js';
import { errnoCode } from '../../core/errors.js';
import { msOfTimespec } from '../../core/timespec.js';
import { nameProblem, REPOSITORY_DIRECTORY } from '../../core/names.js';
import { IGNORE_FILE, IgnoreRules } from './ignore-rules.js';
import type { DirectoryCache } from './directory-cache.js';
import { isWithin } from './paths.js';
import type { StatData } from '../../core/stable-read.js';

export type { StatData };
import { EntryKind } from '../../core/vocabulary.js';

/** What the scan keeps of an lstat, as plain numbers (see core/list-directory.ts). */
export type ScanStat = LstatNumbers;

export function toScanStat(stats: Stats): ScanStat {
  return { mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, dev: stats.dev };
}

/**
 * A nanosecond time as the millisecond number an lstat without `bigint` reports for it: Node
 * computes sec * 1e3 + nsec / 1e6 from the kernel's timespec, whose nsec is never negative.
 */
export function msFromNs(ns: bigint): number {
  let seconds = ns / 1_000_000_000n;
  let nanoseconds = ns % 1_000_000_000n;
  if (nanoseconds < 0n) {
    seconds -= 1n; // before 1970: BigInt division truncates toward zero, timespec floors
    nanoseconds += 1_000_000_000n;
  }
  return msOfTimespec(Number(seconds), Number(nanoseconds));
}

export interface ScannedFile {
  /** Relative to the work tree, '/'-separated. */
  path: string;
  kind: EntryKind.File | EntryKind.Executable | EntryKind.Symlink;
  stats: ScanStat;
}

export interface SkippedPath {
  path: string;
  reason: string;
}

/** What a walk found besides files: reported, not stored. */
export interface WalkReport {
  skipped: SkippedPath[];
  /** Paths that could not be read (permission errors): reported, and the rest still scanned. */
  unreadable: SkippedPath[];
  /** Scopes named explicitly that ignore rules exclude (git refuses to add them without -f). */
  ignoredScopes: string[];
  /** Directories holding a repository of their own (`.store`): not descended into, as git does with nested repositories. */
  nestedRepositories: string[];
}

/** Files, executables and symlinks; anything else (FIFO, socket, device) is skipped with a reason. */
export function kindOf(stats: Stats | BigIntStats | ScanStat): ScannedFile['kind'] | string {
  const mode = Number(stats.mode);
  switch (mode & constants.S_IFMT) {
    case constants.S_IFLNK:
      return EntryKind.Symlink;
    case constants.S_IFREG:
      return isExecutable(mode) ? EntryKind.Executable : EntryKind.File;
    case constants.S_IFIFO:
      return 'FIFO';
    case constants.S_IFSOCK:
      return 'socket';
    case constants.S_IFCHR:
    case constants.S_IFBLK:
      return 'device';
    default:
      return 'unsupported file type';
  }
}

export function isExecutable(mode: number | bigint): boolean {
  return (Number(mode) & 0o111) !== 0;
}

/** `workTree/path` without path.join's normalizing, which cost a scan of 12,000 files ~10 ms. */
export function workTreePath(workTree: string, path: string): string {
  return path === '' ? workTree : `${workTree}/${path}`;
}

/**
 * Subdirectories listed ahead in one native call: enough to keep every core busy, few enough that a
 * walk holds a handful of listings per level of depth.
 */
const LIST_AHEAD_DIRECTORIES = 16;

/**
 * Batches being listed while one is walked. With one, the addon's threads sat idle while the walk
 * went through a batch (a clean status at 500,000 files: median 1.27 s; with three, 1.21 s, measured
 * alternately by hand; eight gave no more). A directory of 1,000 files lists into ~90 KB.
 */
const LIST_AHEAD_BATCHES = 3;

/**
 * The directories a directory cache recorded, listed ahead of a walk of the whole tree in the
 * cache's order (the paths' byte order, the walk's own but where a '.' sorts before a '/'), a few
 * batches at a time. A walk lists a directory's subdirectories only once it has listed the directory:
 * in a tree of a few deep levels (88 directories of npm's rxjs), the addon's threads waited on the
 * walk, and the walk on them, ~11 ms of a commit. Listed ahead from the cache, the next directories
 * are ready when the walk comes to them. A recorded directory gone since is listed for nothing; one
 * the cache does not hold is listed by the walk itself.
 */
export class ListingPrefetch {
  /** Each recorded directory's batch. */
  private readonly batchOf = new Map<string, number>();
  private readonly batches: {
    paths: string[];
    started?: ReturnType<typeof startListing>;
    listings?: (DirectoryListing | NodeJS.ErrnoException | undefined)[];
  }[] = [];
  private nextToStart = 0;

  constructor(
    private readonly workTree: string,
    private readonly directoryCache: DirectoryCache,
  ) {
    directoryCache.recordedDirectories().forEach((path, index) => {
      const batch = Math.floor(index / LIST_AHEAD_DIRECTORIES);
      (this.batches[batch] ??= { paths: [] }).paths.push(path);
      this.batchOf.set(path, batch);
    });
  }

  /** Starts the first batches now, before the walk asks for them. */
  startFirst(): void {
    this.startThrough(LIST_AHEAD_BATCHES - 1);
  }

  covers(path: string): boolean {
    return this.batchOf.has(path);
  }

  /** The listing of a directory it covers (or the error listing it met), started ahead if it was not. */
  take(path: string): DirectoryListing | NodeJS.ErrnoException | undefined {
    const at = this.batchOf.get(path)!;
    this.batchOf.delete(path);
    this.startThrough(at + LIST_AHEAD_BATCHES);
    const batch = this.batches[at]!;
    batch.listings ??= batch.started!.finish();
    batch.started = undefined;
    const index = batch.paths.indexOf(path);
    const listed = batch.listings[index];
    batch.listings[index] = undefined; // held only until walked
    return listed;
  }

  private startThrough(last: number): void {
    for (; this.nextToStart <= last && this.nextToStart < this.batches.length; this.nextToStart++) {
      const { paths } = this.batches[this.nextToStart]!;
      const first = this.nextToStart * LIST_AHEAD_DIRECTORIES; // the batch's first directory among all
      this.batches[this.nextToStart]!.started = startListing(
        paths.map((path) => workTreePath(this.workTree, path)),
        paths.map((path, index) => this.directoryCache.knownOfRecord(first + index, path)),
      );
    }
  }
}

/**
 * The first directories of a walk of the whole tree, listed from now on: a command starts this
 * before it reads and checks the staging area, so that the listing threads work while it does (a
 * clean status of 500,000 files spent ~30 ms on the staging area with one core idle). The walk is
 * then given it (walkWorkTree's `prefetch`), with the same directory cache.
 */
export function listWholeTreeAhead(workTree: string, directoryCache: DirectoryCache): ListingPrefetch {
  const prefetch = new ListingPrefetch(workTree, directoryCache);
  prefetch.startFirst();
  return prefetch;
}

export function newWalkReport(): WalkReport {
  return { skipped: [], unreadable: [], ignoredScopes: [], nestedRepositories: [] };
}

/**
 * Called for a regular file or symlink the walk meets, before anything is decoded of it: its
 * directory's path as bytes ('' for the root) and its place in the listing. How many entries from
 * `index` on the caller has dealt with (tracked files whose stat data did not change, one after
 * another, none of them a directory), which the walk passes over; 0 for none. Asked only in
 * directories whose files are all in scope.
 */
export type TakeUnchanged = (directory: Buffer, listing: DirectoryListing, index: number) => number;

/**
 * Walks the work tree under the given scopes ('' is the whole tree), applying .storeignore rules and
 * never following symlinks (`.store/` directories are always left out), one file at a time in the
 * byte order of the paths (the staging area's and the trees' order: a directory's entries come where
 * its name and a '/' sort), holding only the listings of the directories on the way down; what is
 * not a file goes into `report` as it is met. A file `takeUnchanged` takes is not yielded. With a
 * `directoryCache`, a directory it knows unchanged is not read, only its names stat'ed, and each
 * listing is given to it.
 */
export function* walkWorkTree(
  workTree: string,
  scopes: readonly string[],
  report: WalkReport,
  options: { includeIgnored?: boolean; takeUnchanged?: TakeUnchanged; directoryCache?: DirectoryCache; prefetch?: ListingPrefetch } = {},
): Generator<ScannedFile> {
  const ignored = (rules: IgnoreRules, path: string, isDirectory: boolean): boolean => {
    if (!rules.isIgnored(path, isDirectory)) return false;
    // A named path (or one inside it) that a rule excludes: git's "paths are ignored" refusal, or -f.
    for (const scope of scopes) if (scope !== '' && isWithin(scope, path) && !report.ignoredScopes.includes(scope)) report.ignoredScopes.push(scope);
    return options.includeIgnored !== true;
  };
  const inScope = (path: string): boolean => scopes.some((scope) => scope === '' || path === scope || path.startsWith(`${scope}/`));
  const leadsIntoScope = (directory: string): boolean => directory === '' || inScope(directory) || scopes.some((scope) => scope.startsWith(`${directory}/`));
  const { takeUnchanged, directoryCache } = options;
  // Only a walk of the whole tree comes to every directory the cache holds.
  const prefetch = directoryCache !== undefined && scopes.includes('') ? (options.prefetch ?? new ListingPrefetch(workTree, directoryCache)) : undefined;

  const unreadable = (directory: string, error: unknown): undefined => {
    const code = errnoCode(error);
    if (code === undefined) throw error; // not the file system's answer: a fault, never "unreadable"
    report.unreadable.push({ path: directory || '.', reason: code });
    return undefined;
  };
  /** A listing made (or the error met): given to the directory cache, or reported. */
  const received = (directory: string, listed: DirectoryListing | Error | undefined): DirectoryListing | undefined => {
    if (listed instanceof Error) return unreadable(directory, listed);
    if (listed !== undefined) directoryCache?.listed(directory, listed);
    return listed;
  };
  const list = (directory: string): DirectoryListing | undefined => {
    if (prefetch?.covers(directory)) return received(directory, prefetch.take(directory));
    try {
      return received(directory, listDirectory(workTreePath(workTree, directory), directoryCache?.knownFor(directory)));
    } catch (error) {
      return unreadable(directory, error);
    }
  };
  const listAhead = (paths: readonly string[]): StartedListing =>
    startListing(
      paths.map((path) => workTreePath(workTree, path)),
      directoryCache === undefined ? [] : paths.map((path) => directoryCache.knownFor(path)),
    );
  const pathOf = (directory: string, name: string): string => (directory === '' ? name : `${directory}/${name}`);
  function* walk(directory: string, listing: DirectoryListing, parentRules: IgnoreRules): Generator<ScannedFile> {
    // Given back once walked, or once the walk stops early: its memory freed then (see DirectoryListing.release).
    try {
      // The listing says whether there is a .storeignore: no failing open in every directory.
      const rules = listing.holds(IGNORE_FILE) ? parentRules.enter(workTree, directory) : parentRules;
      // The subdirectories to walk into, first, so that they can be listed ahead.
      const subdirectories: string[] = [];
      const subdirectoryAt: number[] = [];
      const mayHoldDirectories = listing.holdsDirectories();
      for (let index = 0; mayHoldDirectories && index < listing.count; index++) {
        if (!listing.isDirectoryAt(index)) continue;
        const name = listing.nameAt(index);
        if (name === REPOSITORY_DIRECTORY || nameProblem(name) !== undefined) continue; // passed over or reported below
        const path = pathOf(directory, name);
        if (!leadsIntoScope(path) || ignored(rules, path, true)) continue;
        subdirectories.push(path);
        subdirectoryAt.push(index);
      }
      const listingOf = subdirectoryListings(subdirectories, listAhead, prefetch);
      // Offered only where every file is in scope: one the walk would pass over is not the caller's.
      const everyFileInScope = directory === '' ? scopes.includes('') : inScope(directory);
      const directoryBytes = takeUnchanged !== undefined && everyFileInScope ? encodeName(directory) : undefined;
      let subdirectory = 0;
      for (let index = 0; index < listing.count; index++) {
        if (subdirectoryAt[subdirectory] === index) {
          const path = subdirectories[subdirectory]!;
          const childListing = received(path, listingOf(subdirectory++));
          if (childListing?.holds(REPOSITORY_DIRECTORY)) {
            report.nestedRepositories.push(path);
            childListing.release();
          } else if (childListing !== undefined) yield* walk(path, childListing, rules);
          continue;
        }
        if (directoryBytes !== undefined && listing.isFileOrSymlinkAt(index)) {
          const taken = takeUnchanged!(directoryBytes, listing, index);
          // A run taken at once: a clean status at 500,000 files took one file a call ~20 ms longer.
          if (taken > 0) {
            index += taken - 1;
            continue;
          }
        }
        const name = listing.nameAt(index);
        if (name === REPOSITORY_DIRECTORY) continue;
        const path = pathOf(directory, name);
        // `.STORE` and the like: no repository may hold its own directory's name in any case (see nameProblem).
        const problem = nameProblem(name);
        if (problem !== undefined) {
          report.skipped.push({ path, reason: `${problem} cannot be stored` });
          continue;
        }
        const error = listing.errorAt(index);
        if (error === 'ENOENT') continue; // vanished since it was listed
        if (error !== undefined) {
          report.unreadable.push({ path, reason: error });
          continue;
        }
        if (listing.isDirectoryAt(index)) continue; // not walked into: out of scope or ignored
        if (!inScope(path) || ignored(rules, path, false)) continue;
        const stats = listing.statsAt(index);
        const kind = kindOf(stats);
        if (typeof kind === 'string') report.skipped.push({ path, reason: kind });
        else yield { path, kind, stats };
      }
    } finally {
      listing.release();
    }
  }
  const rootListing = list('');
  if (rootListing) yield* walk('', rootListing, IgnoreRules.empty());
}

type StartedListing = ReturnType<typeof startListing>;
type Listed = DirectoryListing | NodeJS.ErrnoException | undefined;

/**
 * The listings of one directory's subdirectories (`paths`), asked for in that order by their place
 * in it: those the prefetch covers are taken from it; the others are listed here on the addon's
 * threads, LIST_AHEAD_DIRECTORIES a batch, LIST_AHEAD_BATCHES batches ahead of the walk (each batch
 * finished when the walk reaches its first directory).
 */
function subdirectoryListings(
  paths: readonly string[],
  listAhead: (paths: readonly string[]) => StartedListing,
  prefetch: ListingPrefetch | undefined,
): (index: number) => Listed {
  const own = prefetch === undefined ? paths : paths.filter((path) => !prefetch.covers(path));
  const pending: StartedListing[] = [];
  let nextToStart = 0;
  const startAhead = (): void => {
    for (; pending.length < LIST_AHEAD_BATCHES && nextToStart < own.length; nextToStart += LIST_AHEAD_DIRECTORIES) {
      pending.push(listAhead(own.slice(nextToStart, nextToStart + LIST_AHEAD_DIRECTORIES)));
    }
  };
  startAhead();
  let batch: Listed[] = [];
  let batchStart = 0;
  let ownTaken = 0;
  return (index) => {
    const path = paths[index]!;
    if (prefetch?.covers(path)) return prefetch.take(path);
    const ownIndex = ownTaken++;
    if (ownIndex >= batchStart + batch.length) {
      batch = pending.shift()!.finish();
      batchStart = ownIndex;
      startAhead();
    }
    const listed = batch[ownIndex - batchStart];
    batch[ownIndex - batchStart] = undefined; // held only until walked
    return listed;
  };
}

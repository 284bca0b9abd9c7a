import { lstatSync, readdirSync, type BigIntStats, type Stats } from 'node:fs';
import { errnoCode } from '../../core/errors.js';
import { nameProblem, REPOSITORY_DIRECTORY } from '../../core/names.js';
import { IGNORE_FILE, IgnoreRules } from './ignore-rules.js';
import { isWithin } from './paths.js';
import { decodeName, fsPath } from '../../core/path-bytes.js';
import type { StatData } from '../../core/stable-read.js';

export type { StatData };
import { EntryKind } from '../../core/vocabulary.js';

/**
 * What the scan keeps of an lstat, as plain numbers: `{ bigint: true }` made a scan of 12,000 files
 * ~10% slower and left a dozen BigInts per file for the collector. Times are Node's milliseconds
 * (sec * 1e3 + nsec / 1e6), which tell apart times ~0.25 us apart (git, by default, compares whole
 * seconds).
 */
export interface ScanStat {
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

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
  return Number(seconds) * 1e3 + Number(nanoseconds) / 1e6;
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

export interface ScanResult {
  files: ScannedFile[];
  skipped: SkippedPath[];
  /** Paths that could not be read (permission errors): reported, and the rest still scanned. */
  unreadable: SkippedPath[];
  /** Scopes named explicitly that ignore rules exclude (git refuses to add them without -f). */
  ignoredScopes: string[];
  /** Directories holding a repository of their own (`.store`): not descended into, as git does with nested repositories. */
  nestedRepositories: string[];
}

/** Files, executables and symlinks; anything else (FIFO, socket, device) is skipped with a reason. */
export function kindOf(stats: Stats | BigIntStats): ScannedFile['kind'] | string {
  if (stats.isSymbolicLink()) return EntryKind.Symlink;
  if (stats.isFile()) return isExecutable(stats.mode) ? EntryKind.Executable : EntryKind.File;
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'device';
  return 'unsupported file type';
}

export function isExecutable(mode: number | bigint): boolean {
  return (Number(mode) & 0o111) !== 0;
}

/** `workTree/path` without path.join's normalizing, which cost a scan of 12,000 files ~10 ms. */
export function workTreePath(workTree: string, path: string): string {
  return path === '' ? workTree : `${workTree}/${path}`;
}

/**
 * Walks the work tree under the given scopes ('' is the whole tree), applying .storeignore rules and
 * never following symlinks. `.store/` directories are always left out.
 */
export function scanWorkTree(workTree: string, scopes: readonly string[], options: { includeIgnored?: boolean } = {}): ScanResult {
  const result: ScanResult = { files: [], skipped: [], unreadable: [], ignoredScopes: [], nestedRepositories: [] };
  const ignored = (rules: IgnoreRules, path: string, isDirectory: boolean): boolean => {
    if (!rules.isIgnored(path, isDirectory)) return false;
    // A named path (or one inside it) that a rule excludes: git's "paths are ignored" refusal, or -f.
    for (const scope of scopes) if (scope !== '' && isWithin(scope, path) && !result.ignoredScopes.includes(scope)) result.ignoredScopes.push(scope);
    return options.includeIgnored !== true;
  };
  const inScope = (path: string): boolean => scopes.some((scope) => scope === '' || path === scope || path.startsWith(`${scope}/`));
  const leadsIntoScope = (directory: string): boolean => directory === '' || inScope(directory) || scopes.some((scope) => scope.startsWith(`${directory}/`));

  const list = (directory: string): string[] | undefined => {
    try {
      const at = fsPath(workTreePath(workTree, directory));
      const names = readdirSync(at);
      // Node decodes names as UTF-8, replacing what is not with U+FFFD: only then are the bytes read again.
      return (names.some((name) => name.includes('\ufffd')) ? readdirSync(at, { encoding: 'buffer' }).map(decodeName) : names).sort();
    } catch (error) {
      result.unreadable.push({ path: directory || '.', reason: errnoCode(error) ?? String(error) });
      return undefined;
    }
  };
  const walk = (directory: string, names: string[], parentRules: IgnoreRules): void => {
    // The listing says whether there is a .storeignore: no failing open in every directory.
    const rules = names.includes(IGNORE_FILE) ? parentRules.enter(workTree, directory) : parentRules;
    for (const name of names) {
      if (name === REPOSITORY_DIRECTORY) continue;
      const path = directory === '' ? name : `${directory}/${name}`;
      // `.STORE` and the like: no repository may hold its own directory's name in any case (see nameProblem).
      const problem = nameProblem(name);
      if (problem !== undefined) {
        result.skipped.push({ path, reason: `${problem} cannot be stored` });
        continue;
      }
      let stats: Stats;
      try {
        stats = lstatSync(fsPath(workTreePath(workTree, path)));
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue; // vanished since readdir
        result.unreadable.push({ path, reason: errnoCode(error) ?? String(error) });
        continue;
      }
      if (stats.isDirectory()) {
        if (!leadsIntoScope(path) || ignored(rules, path, true)) continue;
        const childNames = list(path);
        if (childNames?.includes(REPOSITORY_DIRECTORY)) result.nestedRepositories.push(path);
        else if (childNames) walk(path, childNames, rules);
        continue;
      }
      if (!inScope(path) || ignored(rules, path, false)) continue;
      const kind = kindOf(stats);
      if (typeof kind === 'string') result.skipped.push({ path, reason: kind });
      else result.files.push({ path, kind, stats: toScanStat(stats) });
    }
  };
  const rootNames = list('');
  if (rootNames) walk('', rootNames, IgnoreRules.empty());
  return result;
}

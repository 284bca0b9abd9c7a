import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { EntryKind } from '../objects/tree.js';
import { REPOSITORY_DIRECTORY } from '../repository/layout.js';
import { IGNORE_FILE, IgnoreRules } from './ignore-rules.js';

/** The stat data staging compares and keeps: a BigIntStats also holds four Dates and six more BigInts. */
export interface StatData {
  mode: number | bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

export function toStatData(stats: BigIntStats): StatData {
  return { mode: stats.mode, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino, dev: stats.dev };
}

export interface ScannedFile {
  /** Relative to the work tree, '/'-separated. */
  path: string;
  kind: EntryKind.File | EntryKind.Executable | EntryKind.Symlink;
  stats: StatData;
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
}

const EXECUTABLE_BITS = 0o111n;

/** Files, executables and symlinks; anything else (FIFO, socket, device) is skipped with a reason. */
export function kindOf(stats: BigIntStats): ScannedFile['kind'] | string {
  if (stats.isSymbolicLink()) return EntryKind.Symlink;
  if (stats.isFile()) return (stats.mode & EXECUTABLE_BITS) !== 0n ? EntryKind.Executable : EntryKind.File;
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'device';
  return 'unsupported file type';
}

/**
 * Walks the work tree under the given scopes ('' is the whole tree), applying .storeignore rules and
 * never following symlinks. `.store/` directories are always left out.
 */
export function scanWorkTree(workTree: string, scopes: readonly string[]): ScanResult {
  const result: ScanResult = { files: [], skipped: [], unreadable: [] };
  const inScope = (path: string): boolean => scopes.some((scope) => scope === '' || path === scope || path.startsWith(`${scope}/`));
  const leadsIntoScope = (directory: string): boolean =>
    directory === '' || inScope(directory) || scopes.some((scope) => scope.startsWith(`${directory}/`));

  const list = (directory: string): string[] | undefined => {
    try {
      return readdirSync(join(workTree, directory)).sort();
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
      let stats: BigIntStats;
      try {
        stats = lstatSync(join(workTree, path), { bigint: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue; // vanished since readdir
        result.unreadable.push({ path, reason: errnoCode(error) ?? String(error) });
        continue;
      }
      if (stats.isDirectory()) {
        if (!leadsIntoScope(path) || rules.isIgnored(path, true)) continue;
        const childNames = list(path);
        if (childNames) walk(path, childNames, rules);
        continue;
      }
      if (!inScope(path) || rules.isIgnored(path, false)) continue;
      const kind = kindOf(stats);
      if (typeof kind === 'string') result.skipped.push({ path, reason: kind });
      else result.files.push({ path, kind, stats: toStatData(stats) });
    }
  };
  const rootNames = list('');
  if (rootNames) walk('', rootNames, IgnoreRules.empty());
  return result;
}

import { StoreError } from '../core/errors.js';
import type { TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { nowNs, openStaging, readStaging, writeStaging, writeStagingFrom } from '../staging/staging-area.js';
import type { StagedEntry, StagingItem, StagingSnapshot, StagingView } from '../staging/staging-format.js';
import { CorruptionError } from '../core/errors.js';
import { loadCommit, loadCommitMetadata } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';
import type { FileMode } from '../objects/file-modes.js';
import { isWithin, toRepoPath } from './worktree/paths.js';
import { findInTree, flattenTree } from './history/tree-walk.js';
import { compareWithWorkTree, lstatTracked } from './worktree/tracked.js';
import { LeadingDirectories } from './worktree/leading-directories.js';
import { removeTrackedFile } from './worktree/removal.js';
import type { PathChange } from './worktree/staged-changes.js';
import { EntryKind } from '../core/vocabulary.js';

/**
 * Unstages: the staging entries under the given paths (all, if none) become what HEAD (or the commit
 * `source` names: `restore --staged --source`) has there. Entries taken from a commit carry no stat
 * data, so the next add or status re-reads those files once. Returns the paths reset, and of those
 * still tracked, the ones whose work tree file now differs (what git lists after a reset).
 */
export async function resetStaging(
  repo: Repository,
  options: { paths: readonly string[]; cwd: string; source?: string },
): Promise<{ reset: string[]; unstaged: PathChange[] }> {
  const scopes = options.paths.length === 0 ? [''] : options.paths.map((path) => toRepoPath(repo.workTree, options.cwd, path));
  return repo.withWriteLock(() => {
    const head = options.source === undefined ? repo.refs.headCommit() : resolveCommit(repo, options.source);
    const headCommit = head === undefined ? undefined : loadCommit(repo, head);
    const headFiles = headCommit === undefined ? new Map<string, TreeEntry>() : flattenTree(repo, Buffer.from(headCommit.treeId, 'hex'));
    // The modes HEAD recorded go back into the staging area with its content: a mode left unknown would be committed as such.
    const headModes = headCommit === undefined ? new Map<string, FileMode>() : loadCommitMetadata(repo, headCommit, headFiles.keys()).modes.files;
    let current: StagingSnapshot;
    try {
      current = readStaging(repo.layout.staging);
    } catch (error) {
      // A damaged staging area can only be rebuilt whole, from HEAD.
      if (!(error instanceof CorruptionError) || scopes[0] !== '') throw error;
      current = { entries: [], writtenAtNs: 0n };
    }
    scopes.forEach((scope, index) => {
      const names = (path: string): boolean => isWithin(path, scope);
      if (scope !== '' && !current.entries.some((entry) => names(entry.path)) && !headFiles.has(scope) && !anyKey(headFiles, names)) {
        throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file known to store`, {
          hint: 'reset takes paths (staged or in HEAD); nothing was changed',
        });
      }
    });
    const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
    const next = new Map(current.entries.filter((entry) => !inScope(entry.path)).map((entry) => [entry.path, entry]));
    const byPath = new Map(current.entries.map((entry) => [entry.path, entry]));
    const reset: string[] = [];
    for (const [path, entry] of headFiles) {
      if (!inScope(path)) continue;
      const staged = byPath.get(path);
      // Keep the stat data where the staged content already equals HEAD's: nothing to re-read.
      if (staged?.fileId.equals(entry.id) && staged.kind === entry.kind) next.set(path, staged);
      else {
        next.set(path, fromHead(path, entry, headModes.get(path)?.mode ?? 0));
        reset.push(path);
      }
    }
    for (const entry of current.entries) if (inScope(entry.path) && !headFiles.has(entry.path)) reset.push(entry.path);
    reset.sort();
    // What git lists after a reset: the tracked files reset that differ in the work tree. Those read
    // and found the same keep their fresh stat data, so that the next status need not read them again.
    const scanStartedAtNs = nowNs();
    const leading = new LeadingDirectories(repo.workTree);
    const unstaged: PathChange[] = [];
    for (const path of reset) {
      const entry = next.get(path);
      if (entry === undefined) continue; // untracked now: git lists it no more
      const { change, verified } = compareWithWorkTree(repo, entry, current, lstatTracked(repo.workTree, path, leading));
      if (change !== undefined) unstaged.push({ path, change });
      if (verified !== undefined) next.set(path, verified);
    }
    writeStaging(repo.layout, [...next.values()], scanStartedAtNs);
    return { reset, unstaged };
  });
}

/**
 * git rm's safety: content that is only in the staging area (staged, differing from HEAD) or only in
 * the work tree (modified since staged) would be lost. With --cached the file stays, so only content
 * that is in neither HEAD nor the file (staged, then edited again) is at stake.
 */
function refuseToLoseWork(
  repo: Repository,
  snapshot: Pick<StagingSnapshot, 'writtenAtNs'>,
  entries: readonly StagedEntry[],
  scopes: readonly string[],
  cached: boolean,
): void {
  const headFiles = headFilesUnder(repo, scopes);
  const leading = new LeadingDirectories(repo.workTree);
  const bothDiffer: string[] = [];
  const staged: string[] = [];
  const modified: string[] = [];
  for (const entry of entries) {
    const inHead = headFiles.get(entry.path);
    const stagedDiffers = inHead === undefined || !inHead.id.equals(entry.fileId) || inHead.kind !== entry.kind;
    const onDisk = lstatTracked(repo.workTree, entry.path, leading);
    const comparison = compareWithWorkTree(repo, entry, snapshot, onDisk);
    const fileDiffers = onDisk !== undefined && (comparison.change !== undefined || comparison.unreadable !== undefined);
    if (stagedDiffers && fileDiffers) bothDiffer.push(entry.path);
    else if (!cached && fileDiffers) modified.push(entry.path);
    else if (!cached && stagedDiffers) staged.push(entry.path);
  }
  const refuse = (paths: string[], what: string, hint: string): void => {
    if (paths.length === 0) return;
    const files = paths.length === 1 ? 'file has' : 'files have';
    throw new StoreError('UNCOMMITTED_CHANGES', `the following ${files} ${what}:\n    ${paths.join('\n    ')}`, { hint });
  };
  refuse(bothDiffer, 'staged content different from both the file and HEAD', 'use -f to force removal');
  refuse(modified, 'local modifications', 'use --cached to keep the file, or -f to force removal');
  refuse(staged, 'changes staged in the staging area', 'use --cached to keep the file, or -f to force removal');
}

function fromHead(path: string, entry: TreeEntry, mode: number): StagedEntry {
  if (entry.kind === EntryKind.Directory) throw new Error('flattenTree yields no directories');
  return { path, kind: entry.kind, mode, sizeBytes: entry.sizeBytes, mtimeNs: 0n, ctimeNs: 0n, ino: 0n, dev: 0n, fileId: entry.id };
}

/**
 * Removes paths from the staging area and (unless `cached`) from the work tree, like `git rm`: unless
 * forced, it refuses (and removes nothing) where that would lose work no commit holds.
 */
export async function removePaths(
  repo: Repository,
  options: { paths: readonly string[]; cwd: string; cached: boolean; recursive: boolean; force?: boolean },
): Promise<{ removed: string[] }> {
  const scopes = options.paths.map((path) => toRepoPath(repo.workTree, options.cwd, path));
  return repo.withWriteLock(() => {
    const staging = openStaging(repo.layout.staging);
    // The staged entries removed, as sorted runs of indexes: read in place, the others never decoded.
    const runs: [number, number][] = [];
    scopes.forEach((scope, index) => {
      const found = entryRunsUnder(staging, scope);
      if (found.length === 0) throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any tracked files`);
      if (staging.indexOf(scope) < 0 && !options.recursive) {
        throw new StoreError('INVALID_ARGUMENT', `not removing '${options.paths[index]}' recursively without -r`);
      }
      runs.push(...found);
    });
    const removedRuns = mergedRuns(runs);
    const removed: StagedEntry[] = [];
    for (const [start, end] of removedRuns) for (let index = start; index < end; index++) removed.push(staging.entryAt(index));
    if (!options.force) refuseToLoseWork(repo, staging, removed, scopes, options.cached);
    writeStagingFrom(repo.layout, () => keptOutside(staging, removedRuns), staging.writtenAtNs);
    if (!options.cached) {
      for (const entry of removed) removeTrackedFile(repo.workTree, entry.path);
    }
    return { removed: removed.map((entry) => entry.path).sort() };
  });
}

/**
 * The runs of staged entries at or under `scope`, in path byte order: the entry named `scope`, and
 * those under `scope/`, which lie between `scope/` and `scope0` ('0' follows '/') but not always next
 * to `scope` itself (`a-b` sorts between `a` and `a/x`).
 */
function entryRunsUnder(staging: StagingView, scope: string): [number, number][] {
  const at = (path: string): number => {
    const found = staging.indexOf(path);
    return found >= 0 ? found : -1 - found;
  };
  if (scope === '') return staging.count === 0 ? [] : [[0, staging.count]];
  const runs: [number, number][] = [];
  const exact = staging.indexOf(scope);
  if (exact >= 0) runs.push([exact, exact + 1]);
  const start = at(`${scope}/`);
  const end = at(`${scope}0`);
  if (start < end) runs.push([start, end]);
  return runs;
}

/** Sorted runs of indexes, overlapping ones made one. */
function mergedRuns(runs: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [start, end] of [...runs].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** The staging area's entries outside `removed` (sorted, disjoint runs), as runs kept as bytes. */
function* keptOutside(staging: StagingView, removed: readonly [number, number][]): Generator<StagingItem> {
  let next = 0;
  for (const [start, end] of removed) {
    if (start > next) yield { keptFrom: staging, start: next, end: start };
    next = end;
  }
  if (next < staging.count) yield { keptFrom: staging, start: next, end: staging.count };
}

/** HEAD's files at or under the scopes, reading only the trees there. */
function headFilesUnder(repo: Repository, scopes: readonly string[]): Map<string, TreeEntry> {
  const files = new Map<string, TreeEntry>();
  const head = repo.refs.headCommit();
  if (head === undefined) return files;
  const root = Buffer.from(loadCommit(repo, head).treeId, 'hex');
  for (const scope of scopes) {
    if (scope === '') return flattenTree(repo, root);
    const entry = findInTree(repo, root, scope);
    if (entry === undefined) continue;
    if (entry.kind === EntryKind.Directory) flattenTree(repo, entry.id, scope, files, scope.split('/').length);
    else files.set(scope, entry);
  }
  return files;
}

function anyKey<K>(map: ReadonlyMap<K, unknown>, test: (key: K) => boolean): boolean {
  for (const key of map.keys()) if (test(key)) return true;
  return false;
}

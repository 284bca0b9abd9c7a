import { lstatSync } from 'node:fs';
import { StoreError } from '../core/errors.js';
import type { Repository } from '../repository/repository.js';
import type { BlobWriterTotals } from '../store/blob-writer.js';
import { nowNs, openStaging, writeStagingFrom } from '../staging/staging-area.js';
import { StagedEntryList, type StagedEntry, type StagingView } from '../staging/staging-format.js';
import { compareUtf8 } from '../core/utf8-order.js';
import { defaultJobs, WorkerPool } from '../workers/pool.js';
import { chooseStrategy, profileWorkload, type IngestStrategy, type WorkloadProfile } from './ingest/classifier.js';
import { ingestFiles } from './ingest/ingest.js';
import { ancestorsOf, toRepoPath } from './worktree/paths.js';
import type { IngestProgress, ProgressListener } from './ingest/progress.js';
import { LeadingDirectories } from './worktree/leading-directories.js';
import { newWalkReport, type ScannedFile, type SkippedPath, workTreePath } from './worktree/scanner.js';
import { fsPath } from '../core/path-bytes.js';
import { quotePath } from '../core/path-bytes.js';
import { isUnchanged, matchWorkTree, toStagedEntry } from './worktree/tracked.js';

export interface AddOptions {
  /** Whole work tree, including removals (`-A`). */
  all: boolean;
  paths: readonly string[];
  cwd: string;
  /** Add paths even where .storeignore excludes them (`-f`, as git's). */
  force?: boolean;
  /** Threads for compression (default: one per core); 0 keeps everything on the main thread. */
  jobs?: number;
  onProgress?: ProgressListener;
}

export interface PhaseTimings {
  scanMs: number;
  ingestMs: number;
  sealMs: number;
  stagingMs: number;
}

export interface AddResult {
  added: string[];
  modified: string[];
  removed: string[];
  unchangedCount: number;
  /** Not stored, by design: FIFOs, sockets, devices. */
  skipped: SkippedPath[];
  /** Not stored, though they should have been: unreadable, or kept changing while read. */
  failed: SkippedPath[];
  bytesRead: number;
  newChunkCount: number;
  newRawBytes: number;
  storedBytes: number;
  profile: WorkloadProfile;
  strategy: IngestStrategy;
  timingsMs: PhaseTimings;
}

/** Stages the given paths (or the whole tree): new and changed files are stored, removed ones dropped. */
export async function addToStaging(repo: Repository, options: AddOptions): Promise<AddResult> {
  const scopes = options.all || options.paths.length === 0 ? [''] : options.paths.map((path) => toRepoPath(repo.workTree, options.cwd, path));
  return repo.withWriteLock(async () => {
    const clock = new PhaseClock();
    const scanStartedAtNs = nowNs();
    const staging = openStaging(repo.layout.staging);
    checkPathsExist(repo.workTree, scopes, options.paths, staging);

    // The work tree's walk and the staging area (read in place), merged as they go: an unchanged
    // file costs a bit (`drop` stays 0), and only files to read are held.
    const report = newWalkReport();
    /** 1: the staged entry goes (gone, removed, or replaced by the file read anew). */
    const drop = new Uint8Array(staging.count);
    /** Of each file to read that was staged: its entry's index. */
    const previousIndex = new Map<string, number>();
    const toRead: ScannedFile[] = [];
    const result = {
      added: [] as string[],
      removed: [] as string[],
      modified: [] as string[],
      unchangedCount: 0,
      skipped: report.skipped,
      failed: report.unreadable,
      bytesRead: 0,
      newChunkCount: 0,
    };
    let filesScanned = 0;
    for (const { index, file } of matchWorkTree(repo, staging, scopes, report, { includeIgnored: options.force })) {
      if (file === undefined) {
        drop[index] = 1;
        result.removed.push(staging.pathAt(index));
        continue;
      }
      filesScanned++;
      if (index === -1) toRead.push(file);
      else if (isUnchanged(staging.entryAt(index), file, staging)) result.unchangedCount++;
      else {
        drop[index] = 1;
        previousIndex.set(file.path, index);
        toRead.push(file);
      }
    }
    if (report.ignoredScopes.length > 0 && !options.force) {
      const named = report.ignoredScopes.map((scope) => quotePath(scope)).join(', ');
      throw new StoreError('PATH_IGNORED', `paths are ignored by .storeignore: ${named}; use -f to add them`, { hint: 'nothing was added' });
    }
    const profile = profileWorkload(toRead.map((file) => file.stats.size));
    const strategy = chooseStrategy(profile, options.jobs ?? defaultJobs());
    if (strategy.order === 'largest-first') toRead.sort((a, b) => b.stats.size - a.stats.size);
    const scanMs = clock.lap();
    const progress: IngestProgress = {
      phase: 'ingest',
      filesScanned,
      filesToRead: toRead.length,
      filesRead: 0,
      bytesToRead: toRead.reduce((sum, file) => sum + file.stats.size, 0),
      bytesRead: 0,
    };
    const onBytesRead = (bytes: number): void => {
      progress.bytesRead += bytes;
      options.onProgress?.(progress);
    };
    options.onProgress?.(progress);

    /** Entries for the files read: they replace their previous ones (dropped). */
    const fresh = new StagedEntryList();
    const pool = strategy.compressionThreads > 0 ? await WorkerPool.start(strategy.compressionThreads) : undefined;
    let ingestMs = 0;
    let totals: BlobWriterTotals;
    try {
      ({ totals } = await repo.withBlobWriter(
        async (writer) => {
          await ingestFiles(
            repo,
            toRead,
            writer,
            strategy.batchSmallFiles ? pool : undefined,
            (outcome) => {
              progress.filesRead++;
              const path = outcome.file.path;
              const index = previousIndex.get(path);
              if ('reason' in outcome) {
                if (!outcome.vanished) {
                  result.failed.push({ path, reason: outcome.reason });
                  if (index !== undefined) drop[index] = 0; // what was staged stays
                } else if (index !== undefined) result.removed.push(path);
                return;
              }
              result.bytesRead += outcome.sizeBytes;
              result.newChunkCount += outcome.newChunkCount;
              const previous = index === undefined ? undefined : staging.entryAt(index);
              if (previous?.fileId.equals(outcome.fileId) && previous.kind === outcome.kind) result.unchangedCount++;
              else (previous ? result.modified : result.added).push(path);
              fresh.push(toStagedEntry(path, outcome.kind, outcome.stat, outcome.fileId));
            },
            onBytesRead,
            { hashingThread: strategy.hashingThread },
          );
          dropReplacedAncestors(staging, drop, result.added, result.removed);
          ingestMs = clock.lap();
        },
        { pool },
      ));
    } finally {
      await pool?.close();
    }
    const sealMs = clock.lap();
    const freshOrder = fresh.pathOrder();
    await writeStagingFrom(repo.layout, () => keptAndFresh(staging, drop, fresh, freshOrder), scanStartedAtNs);
    const stagingMs = clock.lap();
    return {
      ...result,
      newRawBytes: totals.newRawBytes,
      storedBytes: totals.storedBytes,
      profile,
      strategy,
      timingsMs: { scanMs, ingestMs, sealMs, stagingMs },
    };
  });
}

/**
 * A path cannot be both a file and a directory in one commit: when a newly added path has a staged
 * ancestor (a file replaced by a directory, added by a path inside it), that older entry goes. Only
 * added paths can clash (a modified path was a staged file already), so only their ancestors are
 * looked up. Staged entries under a directory that a file replaced are in scope wherever that file
 * is, so the lstat of tracked paths above (ENOTDIR) has already dropped them.
 */
function dropReplacedAncestors(staging: StagingView, drop: Uint8Array, added: readonly string[], removed: string[]): void {
  // Each directory looked up once (a binary search of the staging area), however many files it holds.
  const ancestors = new Set<string>();
  for (const path of added) for (const ancestor of ancestorsOf(path)) ancestors.add(ancestor);
  for (const ancestor of ancestors) {
    const index = staging.indexOf(ancestor);
    if (index >= 0 && drop[index] === 0) {
      drop[index] = 1;
      removed.push(ancestor);
    }
  }
}

/** The staged entries kept, and the fresh ones (taken in `freshOrder`, path byte order), merged in path byte order. */
function* keptAndFresh(staging: StagingView, drop: Uint8Array, fresh: StagedEntryList, freshOrder: Uint32Array): Generator<StagedEntry> {
  let next = 0;
  for (let index = 0; index < staging.count; index++) {
    if (drop[index] === 1) continue;
    const entry = staging.entryAt(index);
    while (next < freshOrder.length && compareUtf8(fresh.pathAt(freshOrder[next]!), entry.path) < 0) yield fresh.entryAt(freshOrder[next++]!);
    yield entry;
  }
  while (next < freshOrder.length) yield fresh.entryAt(freshOrder[next++]!);
}

function checkPathsExist(workTree: string, scopes: readonly string[], userPaths: readonly string[], staging: StagingView): void {
  const leading = new LeadingDirectories(workTree);
  scopes.forEach((scope, index) => {
    if (scope === '') return;
    const named = userPaths[index] ?? scope;
    const inTheWay = leading.firstInTheWay(scope);
    if (inTheWay?.isSymlink) throw new StoreError('INVALID_ARGUMENT', `pathspec '${named}' is beyond a symbolic link (${inTheWay.path})`);
    // Beyond a file nothing exists; otherwise the path itself is looked for.
    if (inTheWay === undefined && lstatSync(fsPath(workTreePath(workTree, scope)), { throwIfNoEntry: false }) !== undefined) return;
    // A removal to stage: the path is staged, or a staged path lies inside it (the first at or after
    // `scope/` in byte order: 'd.txt' sorts between 'd' and 'd/x').
    if (staging.indexOf(scope) >= 0) return;
    const at = -1 - staging.indexOf(`${scope}/`);
    if (at < staging.count && staging.pathAt(at).startsWith(`${scope}/`)) return;
    throw new StoreError('PATH_NOT_FOUND', `pathspec '${named}' did not match any files`);
  });
}

/** Milliseconds since the previous lap, for the phase timings `add --json` reports. */
class PhaseClock {
  private last = performance.now();

  lap(): number {
    const now = performance.now();
    const elapsed = now - this.last;
    this.last = now;
    return Math.round(elapsed * 10) / 10;
  }
}

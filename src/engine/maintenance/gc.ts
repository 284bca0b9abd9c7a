import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTreeCacheAside } from '../../staging/tree-cache.js';
import { fsyncDirectory } from '../../core/fs-atomic.js';
import type { Repository } from '../../repository/repository.js';
import { type PackRow, SMALL_PAGE_CACHE_KIB } from '../../catalog/catalog.js';
import { Codec } from '../../core/vocabulary.js';
import { type BlobWriter, PACK_MAX_BLOBS } from '../../store/blob-writer.js';
import { DeltaCompressor } from '../../store/compression.js';
import { PackFlags } from '../../store/pack-format.js';
import { computeLiveSet, isLiveBlob, type LiveSet } from '../history/reachability.js';
import { packsHeldByRemotes } from '../remotes/pack-transfer.js';

/** A pack whose dead share (by raw bytes) reaches this is rewritten with only its live blobs. */
export const REWRITE_DEAD_FRACTION = 0.5;

/**
 * A pack under this share of the pack target (16 MiB of 128) and of the blobs a pack may hold (2,048
 * of 16,384) is small: gc joins two or more small packs into one, as `git gc` packs loose objects
 * and small packs. Every commit writes a pack or two, so a history of 20 commits was 40 packs (and 37
 * fan-out directories). The blob bound keeps packs sealed at PACK_MAX_BLOBS (small files' chunks:
 * ~6.5 MB each) from being joined again at every gc.
 */
export const SMALL_PACK_SHARE = 1 / 8;

/**
 * What gc copies out of packs a commit wrote it compresses harder, as `git gc` packs loose objects:
 * frames at zstd 16 (tables of 2^20, see compression.ts), deltas at 8. By hand on rxjs's 20 releases
 * (bench/results/history-s40.md), from raw: frames 950 KB at level 3, 700 KB at 16 (0.86 s), 686 KB
 * at 19 (1.43 s); deltas 843 KB at 3, 744 KB at 8 (0.33 s), 735 KB at 9 (0.62 s). On this thread:
 * worker threads took gc's peak from 132 to 180 MB there for 3.0 s against 3.1. Packs gc wrote say
 * so in their header (PackFlags.Repacked), and a later gc copies their frames as they are.
 */
export const REPACK_FRAME_LEVEL = 16;
export const REPACK_DELTA_LEVEL = 8;

/**
 * A delta larger than this is copied as stored: compressing it again takes its base as a dictionary
 * and a window over both (a commit's file times at 1,000,000 files are 8 MB, against 8 MB). With them
 * compressed again, gc at 1,000,000 files peaked at 244 MB (bench/scale.js, by hand).
 */
const REPACK_DELTA_MAX_BYTES = 256 * 1024;

export interface GcReport {
  dryRun: boolean;
  liveBlobCount: number;
  deadBlobCount: number;
  deadRawBytes: number;
  packsDeleted: string[];
  packsRewritten: string[];
  /** Small packs joined into new ones (see SMALL_PACK_SHARE); packs a remote holds are left as they are. */
  packsJoined: string[];
  unindexedPacksRemoved: string[];
  temporaryFilesRemoved: number;
  /** Pack bytes on disk before minus after (for a dry run: what would be freed, before rewriting). */
  bytesFreed: number;
}

/**
 * Removes blobs that no branch and no staging entry needs: packs with nothing live are deleted, packs
 * that are mostly dead are rewritten. New packs are sealed and indexed before anything is deleted,
 * and files are deleted only after the catalog stops naming them, so a crash at any point loses nothing.
 */
export async function collectGarbage(repo: Repository, options: { dryRun: boolean }): Promise<GcReport> {
  return repo.withWriteLock(async () => {
    // The tree cache may name trees about to be deleted: set aside, and given back with only the trees kept.
    const treeCache = options.dryRun ? undefined : setTreeCacheAside(repo.layout);
    const live = computeLiveSet(repo);
    const report: GcReport = {
      dryRun: options.dryRun,
      liveBlobCount: 0,
      deadBlobCount: 0,
      deadRawBytes: 0,
      packsDeleted: [],
      packsRewritten: [],
      packsJoined: [],
      unindexedPacksRemoved: [],
      temporaryFilesRemoved: 0,
      bytesFreed: 0,
    };
    const catalog = repo.catalog;
    const packs = catalog.packs();
    // One scan of the blobs counts each pack's live and dead and keeps the dead ids (to forget them
    // below); a pack's blobs are listed again only where they are copied.
    const tally = new Map(packs.map((pack) => [pack.id, { liveCount: 0, rawBytes: 0, deadRawBytes: 0 }]));
    const dead: Buffer[] = [];
    for (const blob of catalog.eachBlobPlace()) {
      const counts = tally.get(blob.packId);
      if (counts === undefined) continue; // a row naming no pack: verify reports it
      counts.rawBytes += blob.length;
      if (isLiveBlob(live, blob.id)) counts.liveCount++;
      else {
        report.deadBlobCount++;
        counts.deadRawBytes += blob.length;
        if (!options.dryRun) dead.push(blob.id);
      }
    }
    const plans = packs.map((pack): { pack: PackRow; action: 'delete' | 'rewrite' | 'join' | 'keep' } => {
      const { liveCount, rawBytes, deadRawBytes } = tally.get(pack.id)!;
      report.liveBlobCount += liveCount;
      report.deadRawBytes += deadRawBytes;
      const action = liveCount === 0 ? 'delete' : rawBytes > 0 && deadRawBytes / rawBytes >= REWRITE_DEAD_FRACTION ? 'rewrite' : 'keep';
      return { pack, action };
    });
    // Joining a pack a remote holds would make the next push send its blobs again.
    const onRemotes = packsHeldByRemotes(repo);
    // Whether gc wrote a pack (PackFlags.Repacked), read from its header once.
    const repackedByName = new Map<string, boolean>();
    const isRepacked = (name: string): boolean => {
      let repacked = repackedByName.get(name);
      if (repacked === undefined) repackedByName.set(name, (repacked = (repo.packReader.packFlags(name) & PackFlags.Repacked) !== 0));
      return repacked;
    };
    // A pack no gc wrote joins too (once: see REPACK_FRAME_LEVEL) unless it was sealed full of blobs,
    // as a first add's packs of small files are, which would come out as many.
    const joinable = plans.filter(
      (plan) =>
        plan.action === 'keep' &&
        plan.pack.sizeBytes < repo.config.packTargetBytes * SMALL_PACK_SHARE &&
        !onRemotes.has(plan.pack.name) &&
        (plan.pack.blobCount < PACK_MAX_BLOBS * SMALL_PACK_SHARE || (plan.pack.blobCount < PACK_MAX_BLOBS && !isRepacked(plan.pack.name))),
    );
    if (joinable.length >= 2 || joinable.some((plan) => !isRepacked(plan.pack.name))) for (const plan of joinable) plan.action = 'join';
    const indexedNames = new Set(packs.map((pack) => pack.name));
    const unindexed = (await repo.packStore.list()).filter((name) => !indexedNames.has(name));

    for (const plan of plans) {
      if (plan.action === 'delete') report.packsDeleted.push(plan.pack.name);
      if (plan.action === 'rewrite') report.packsRewritten.push(plan.pack.name);
      if (plan.action === 'join') report.packsJoined.push(plan.pack.name);
    }
    report.unindexedPacksRemoved = unindexed;
    const sizeOf = (kept: (action: string) => boolean): number =>
      plans.filter((plan) => !kept(plan.action)).reduce((sum, plan) => sum + plan.pack.sizeBytes, 0);
    if (options.dryRun) {
      // Packs deleted or rewritten, before rewriting; packs joined are rewritten at about their size.
      report.bytesFreed = sizeOf((action) => action === 'keep' || action === 'join');
      return report;
    }

    // 1. Copy the live blobs of packs to rewrite or join into new packs; the catalog now points at the copies.
    const rewrites = plans.filter((plan) => plan.action === 'rewrite' || plan.action === 'join');
    let newPackBytes = 0;
    if (rewrites.length > 0) {
      const deltas = new DeltaCompressor(Math.max(REPACK_DELTA_LEVEL, repo.config.compression.level));
      const repack = { level: Math.max(REPACK_FRAME_LEVEL, repo.config.compression.level), packFlags: PackFlags.Repacked };
      // The copy looks up a few rows a blob: the catalog's page cache, full from the walk, would only
      // stack on the copy's buffers (gc at 1,000,000 files peaked 14 MB lower with it small, by hand).
      const { totals } = await catalog.withPageCache(SMALL_PAGE_CACHE_KIB, () =>
        repo.withBlobWriter(
          async (writer) => {
            for (const plan of rewrites) await copyLiveBlobs(repo, writer, { name: plan.pack.name, repacked: isRepacked(plan.pack.name) }, live, deltas);
          },
          { repack },
        ),
      );
      newPackBytes = totals.packBytes;
    }

    // 2. Forget dead blobs, file maps and commits, and the packs that hold nothing any more.
    const doomed = plans.filter((plan) => plan.action !== 'keep');
    catalog.transaction(() => {
      catalog.deleteBlobs(dead);
      catalog.deleteFiles(
        catalog
          .allFiles()
          .filter((file) => !live.files.has(file.id))
          .map((file) => file.id),
      );
      catalog.deleteCommits(
        catalog
          .allCommits()
          .filter((commit) => !live.commits.has(commit.id))
          .map((commit) => commit.id),
      );
      catalog.deleteEmptyPacks(doomed.map((plan) => plan.pack.id));
    });

    // 3. Only now delete files: nothing in the catalog names them.
    for (const name of [...doomed.map((plan) => plan.pack.name), ...unindexed]) await repo.packStore.delete(name);
    fsyncDirectory(repo.layout.packs);
    report.temporaryFilesRemoved = removeTemporaryFiles(repo.layout.temporary);
    if (doomed.length > 0 || report.deadBlobCount > 0) catalog.compact();
    report.bytesFreed = sizeOf((action) => action === 'keep') - newPackBytes;
    treeCache?.restore((id) => catalog.hasBlob(id));
    return report;
  });
}

/**
 * Copies a pack's live blobs into `writer`, frame by frame in the pack's order. Every blob copied is
 * read, verified, first: a damaged one stops gc before anything is deleted. From a pack gc wrote, a
 * frame whose every blob is live (and indexed in this pack: a copy elsewhere is the one the catalog
 * reads) is copied as stored, a delta still naming its base. From any other pack, such a delta is
 * compressed again against the same base (`deltas`), kept if smaller (one over REPACK_DELTA_MAX_BYTES
 * is copied as stored); everything else live is stored again whole, at the writer's level, in frames
 * of the writer's size.
 */
async function copyLiveBlobs(
  repo: Repository,
  writer: BlobWriter,
  { name: packName, repacked }: { name: string; repacked: boolean },
  live: LiveSet,
  deltas: DeltaCompressor,
): Promise<void> {
  const reader = repo.packReader;
  const footer = reader.readFooter(packName);
  const records = footer.blobs.sort((a, b) => a.frameIndex - b.frameIndex || a.offsetInFrame - b.offsetInFrame);
  for (let start = 0; start < records.length; ) {
    const frameIndex = records[start]!.frameIndex;
    let end = start;
    while (end < records.length && records[end]!.frameIndex === frameIndex) end++;
    const frame = footer.frames[frameIndex]!;
    const inFrame = records.slice(start, end);
    start = end;
    const here = inFrame.map((record) => {
      const location = repo.catalog.blobLocation(record.id);
      const indexedHere = location?.packName === packName && location.frameOffset === frame.offset && location.offsetInFrame === record.offsetInFrame;
      return indexedHere && isLiveBlob(live, record.id) ? location : undefined;
    });
    const copied = here.filter((location) => location !== undefined);
    const wholeFrame = copied.length === inFrame.length && inFrame.reduce((sum, record) => sum + record.length, 0) === frame.rawLength;
    const copyAsStored = (): void => {
      for (const location of copied) reader.checkBlob(location);
      const bytes = reader.readStoredFrameInto(copied[0]!, Buffer.allocUnsafe(frame.storedLength));
      writer.addStoredFrame({ codec: frame.codec, bytes, rawLength: frame.rawLength, baseId: frame.baseId, blobs: inFrame });
    };
    const isDelta = frame.codec === Codec.Delta;
    if (wholeFrame && (repacked || (isDelta && frame.rawLength > REPACK_DELTA_MAX_BYTES))) copyAsStored();
    else if (wholeFrame && isDelta) {
      const base = reader.baseOf(copied[0]!);
      const again = base === undefined ? undefined : deltas.compress(reader.borrowBlob(copied[0]!), base);
      if (again === undefined || again.length >= frame.storedLength) copyAsStored();
      else writer.addStoredFrame({ codec: Codec.Delta, bytes: again, rawLength: frame.rawLength, baseId: frame.baseId, blobs: inFrame });
    } else {
      for (const location of copied) writer.addBlob(location.type, location.id, reader.borrowBlob(location));
    }
    await writer.drain();
  }
}

function removeTemporaryFiles(directory: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return 0;
  }
  for (const name of names) {
    rmSync(join(directory, name), { force: true });
    removed++;
  }
  return removed;
}

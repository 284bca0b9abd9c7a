import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTreeCacheAside } from '../../staging/tree-cache.js';
import { fsyncDirectory } from '../../core/fs-atomic.js';
import type { Repository } from '../../repository/repository.js';
import { computeLiveSet, isLiveBlob } from '../history/reachability.js';

/** A pack whose dead share (by raw bytes) reaches this is rewritten with only its live blobs. */
export const REWRITE_DEAD_FRACTION = 0.5;

export interface GcReport {
  dryRun: boolean;
  liveBlobCount: number;
  deadBlobCount: number;
  deadRawBytes: number;
  packsDeleted: string[];
  packsRewritten: string[];
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
      unindexedPacksRemoved: [],
      temporaryFilesRemoved: 0,
      bytesFreed: 0,
    };
    const catalog = repo.catalog;
    const packs = catalog.packs();
    // One scan of the blobs counts each pack's live and dead; its blobs are listed again only where
    // they are needed (the lists of every pack at once were a record per blob of the repository).
    const tally = new Map(packs.map((pack) => [pack.id, { liveCount: 0, rawBytes: 0, deadRawBytes: 0 }]));
    for (const blob of catalog.eachBlobPlace()) {
      const counts = tally.get(blob.packId);
      if (counts === undefined) continue; // a row naming no pack: verify reports it
      counts.rawBytes += blob.length;
      if (isLiveBlob(live, blob.id)) counts.liveCount++;
      else {
        report.deadBlobCount++;
        counts.deadRawBytes += blob.length;
      }
    }
    const plans = packs.map((pack) => {
      const { liveCount, rawBytes, deadRawBytes } = tally.get(pack.id)!;
      report.liveBlobCount += liveCount;
      report.deadRawBytes += deadRawBytes;
      const action = liveCount === 0 ? 'delete' : rawBytes > 0 && deadRawBytes / rawBytes >= REWRITE_DEAD_FRACTION ? 'rewrite' : 'keep';
      return { pack, hasDead: deadRawBytes > 0 || liveCount === 0, action };
    });
    const indexedNames = new Set(packs.map((pack) => pack.name));
    const unindexed = (await repo.packStore.list()).filter((name) => !indexedNames.has(name));

    for (const plan of plans) {
      if (plan.action === 'delete') report.packsDeleted.push(plan.pack.name);
      if (plan.action === 'rewrite') report.packsRewritten.push(plan.pack.name);
    }
    report.unindexedPacksRemoved = unindexed;
    const removedBytes = plans.filter((plan) => plan.action !== 'keep').reduce((sum, plan) => sum + plan.pack.sizeBytes, 0);
    if (options.dryRun) {
      report.bytesFreed = removedBytes;
      return report;
    }

    // 1. Copy the live blobs of packs to rewrite into new packs; the catalog now points at the copies.
    const rewrites = plans.filter((plan) => plan.action === 'rewrite');
    let newPackBytes = 0;
    if (rewrites.length > 0) {
      const { totals } = await repo.withBlobWriter(
        async (writer) => {
          for (const plan of rewrites) {
            // In the order of the pack's own footer (frame by frame), each blob that the catalog
            // finds in this pack: a copy elsewhere is the one the catalog reads.
            const records = repo.packReader.readFooter(plan.pack.name).blobs.sort((a, b) => a.frameIndex - b.frameIndex || a.offsetInFrame - b.offsetInFrame);
            for (const record of records) {
              if (!isLiveBlob(live, record.id)) continue;
              const blob = catalog.blobLocation(record.id);
              if (blob === undefined || blob.packName !== plan.pack.name) continue;
              writer.addBlob(blob.type, blob.id, repo.packReader.borrowBlob(blob));
              await writer.drain();
            }
          }
        },
        { relocate: true },
      );
      newPackBytes = totals.storedBytes;
    }

    // 2. Forget dead blobs, file maps and commits, and the packs that hold nothing any more.
    const doomed = plans.filter((plan) => plan.action !== 'keep');
    catalog.transaction(() => {
      const withDead = new Set(plans.filter((plan) => plan.hasDead).map((plan) => plan.pack.id));
      const dead: Buffer[] = [];
      for (const blob of catalog.eachBlobPlace()) if (withDead.has(blob.packId) && !isLiveBlob(live, blob.id)) dead.push(blob.id);
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
    report.bytesFreed = removedBytes - newPackBytes;
    treeCache?.restore((id) => catalog.hasBlob(id));
    return report;
  });
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

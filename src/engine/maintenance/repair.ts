import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog } from '../../catalog/catalog.js';
import { indexPack, inIndexingOrder } from '../../repository/pack-index.js';
import { CorruptionError, errnoCode } from '../../core/errors.js';
import { fsyncDirectory } from '../../core/fs-atomic.js';
import { uniqueToken } from '../../core/unique-token.js';
import { fileRecord, loadFileMap } from '../history/objects-io.js';
import type { Repository } from '../../repository/repository.js';
import { PackReader } from '../../store/pack-reader.js';
import { openStaging } from '../../staging/staging-area.js';
import { setTreeCacheAside } from '../../staging/tree-cache.js';
import type { StagedEntry } from '../../staging/staging-format.js';
import { FileChangedWhileReading, ingestFile } from '../ingest/file-ingest.js';
import { verifyRepository, type AffectedFile } from './verify.js';

export interface RepairReport {
  packsIndexed: number;
  packsSkipped: { pack: string; reason: string }[];
  blobsIndexed: number;
  corruptBlobsDropped: string[];
  filesIndexed: number;
  commitsIndexed: number;
  /** Work-tree files re-read to restore chunks the packs had lost. */
  healed: string[];
  /** What is still broken afterwards. */
  stillBroken: AffectedFile[];
}

/**
 * Rebuilds the catalog from the packs alone (every blob re-read and verified; damaged ones left
 * out), swaps it in atomically, then heals what is missing from work-tree files that still have
 * the same content.
 */
export async function repairRepository(repo: Repository): Promise<RepairReport> {
  return repo.withWriteLock(async () => {
    // The tree cache may name trees repair drops as damaged: set aside, and given back with only the trees kept.
    const treeCache = setTreeCacheAside(repo.layout);
    const report: RepairReport = {
      packsIndexed: 0,
      packsSkipped: [],
      blobsIndexed: 0,
      corruptBlobsDropped: [],
      filesIndexed: 0,
      commitsIndexed: 0,
      healed: [],
      stillBroken: [],
    };
    const rebuiltPath = `${repo.layout.catalog}.rebuild-${uniqueToken(8)}`;
    const rebuilt = new Catalog(rebuiltPath, { createMode: repo.layout.fileMode });
    // Deltas' bases are found in the catalog being rebuilt: packs are indexed bases first.
    const reader = new PackReader(repo.layout.packs, undefined, undefined, (delta) => rebuilt.baseLocation(delta));
    rebuilt.wholeBaseIdOf = (delta) => reader.wholeBaseId(delta);
    try {
      for (const name of inIndexingOrder(await repo.packStore.list(), reader)) indexInto(name, reader, rebuilt, report);
    } finally {
      reader.close();
      rebuilt.close();
    }
    swapCatalog(repo, rebuiltPath);
    treeCache.restore((id) => repo.catalog.hasBlob(id));
    await healFromWorkTree(repo, report);
    report.stillBroken = (await verifyRepository(repo, { readData: false })).affected;
    return report;
  });
}

function indexInto(name: string, reader: PackReader, catalog: Catalog, report: RepairReport): void {
  let indexed;
  try {
    indexed = indexPack(name, reader, catalog, { readEveryBlob: true });
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    report.packsSkipped.push({ pack: name, reason: error.message });
    return;
  }
  report.packsIndexed++;
  report.blobsIndexed += indexed.blobs;
  report.filesIndexed += indexed.files;
  report.commitsIndexed += indexed.commits;
  report.corruptBlobsDropped.push(...indexed.corruptBlobs);
}

/** Replaces catalog.sqlite with the rebuilt one; the old write-ahead log must not be replayed onto it. */
function swapCatalog(repo: Repository, rebuiltPath: string): void {
  repo.close();
  const target = repo.layout.catalog;
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      rmSync(`${target}${suffix}`);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  renameSync(rebuiltPath, target);
  for (const suffix of ['-wal', '-shm']) if (existsSync(`${rebuiltPath}${suffix}`)) rmSync(`${rebuiltPath}${suffix}`);
  fsyncDirectory(repo.layout.storeDirectory);
}

/** Re-reads staged files whose stored content lost chunks, if the file on disk still has that content. */
async function healFromWorkTree(repo: Repository, report: RepairReport): Promise<void> {
  let staging;
  try {
    staging = openStaging(repo.layout.staging);
  } catch (error) {
    if (error instanceof CorruptionError) return;
    throw error;
  }
  // Read in place, one entry at a time: memory holds the broken entries, not the staging area.
  const broken: StagedEntry[] = [];
  for (const entry of staging) if (!isComplete(repo, entry.fileId)) broken.push(entry);
  if (broken.length === 0) return;
  await repo.withBlobWriter(async (writer) => {
    for (const entry of broken) {
      try {
        const content = await ingestFile(join(repo.workTree, entry.path), repo.config.chunking, writer);
        if (content.fileId.equals(entry.fileId)) report.healed.push(entry.path);
      } catch (error) {
        if (error instanceof FileChangedWhileReading || ['ENOENT', 'EACCES', 'ELOOP', 'EISDIR'].includes(errnoCode(error) ?? '')) continue;
        throw error;
      }
    }
  });
}

function isComplete(repo: Repository, fileId: Buffer): boolean {
  const record = fileRecord(repo, fileId);
  if (record === undefined || (record.filemapId !== undefined && !repo.catalog.hasBlob(record.filemapId))) return false;
  try {
    for (const chunk of loadFileMap(repo, fileId, record).chunks) if (!repo.catalog.hasBlob(chunk.id)) return false;
    return true;
  } catch (error) {
    if (error instanceof CorruptionError) return false;
    throw error;
  }
}

import type { Catalog, CommitRow, FileRow } from '../catalog/catalog.js';
import { CorruptionError } from '../core/errors.js';
import { type BlobLocation, type BlobRecord, BlobType } from '../core/vocabulary.js';
import { decodeCommit } from '../objects/commit.js';
import { decodeFileMap } from '../objects/filemap.js';
import type { PackFooter } from '../store/pack-format.js';
import type { PackReader } from '../store/pack-reader.js';

export interface PackIndexed {
  blobs: number;
  files: number;
  commits: number;
  /** Blobs whose bytes did not hash to their ids: left out of the catalog. */
  corruptBlobs: string[];
}

/**
 * Indexes a sealed pack from its own bytes: file maps and commits read, checked against their ids
 * and decoded, all recorded in one transaction. How the catalog is rebuilt (repair) and how fetched
 * packs join it. With `readEveryBlob` (repair), every other blob is read and checked too, and damaged
 * ones are left out and named; without (fetch, whose pack's bytes were checked against its name
 * whole), the footer is trusted for them: each is still checked against its id whenever it is read.
 * Throws CorruptionError when the footer itself is damaged.
 */
export function indexPack(name: string, reader: PackReader, catalog: Catalog, options: { readEveryBlob: boolean }): PackIndexed {
  const footer = reader.readFooter(name);
  const locationOf = (blob: BlobRecord): BlobLocation => {
    const frame = footer.frames[blob.frameIndex]!;
    return {
      id: blob.id,
      type: blob.type,
      packName: name,
      frameOffset: frame.offset,
      frameStoredLength: frame.storedLength,
      frameRawLength: frame.rawLength,
      codec: frame.codec,
      offsetInFrame: blob.offsetInFrame,
      length: blob.length,
      basePrefix: frame.baseId,
    };
  };
  // A delta's base is in the catalog (packs are indexed bases first: see inIndexingOrder) or in this pack.
  let own: Map<string, BlobRecord> | undefined;
  const withBase = (location: BlobLocation): BlobLocation => {
    if (location.basePrefix === undefined) return location;
    own ??= new Map(footer.blobs.map((blob) => [blob.id.toString('latin1'), blob]));
    const inThisPack = own.get(location.basePrefix.toString('latin1'));
    return inThisPack === undefined ? location : { ...location, base: locationOf(inThisPack) };
  };
  const good: BlobRecord[] = [];
  const files: FileRow[] = [];
  const commits: CommitRow[] = [];
  const corruptBlobs: string[] = [];
  for (const blob of footer.blobs) {
    if (!options.readEveryBlob && blob.type !== BlobType.FileMap && blob.type !== BlobType.Commit) {
      good.push(blob);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = reader.readBlob(withBase(locationOf(blob)));
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      corruptBlobs.push(blob.id.toString('hex'));
      continue;
    }
    good.push(blob);
    if (blob.type === BlobType.FileMap) {
      const map = decodeFileMap(bytes);
      files.push({ id: map.fileId, sizeBytes: map.sizeBytes, chunkCount: map.chunks.length, filemapId: blob.id });
    } else if (blob.type === BlobType.Commit) {
      const commit = decodeCommit(bytes);
      commits.push({
        id: blob.id,
        treeId: Buffer.from(commit.treeId, 'hex'),
        parentId: commit.parentId === undefined ? undefined : Buffer.from(commit.parentId, 'hex'),
        author: commit.author,
        timeMs: commit.timeMs,
        message: commit.message,
        fileCount: commit.fileCount,
        logicalBytes: commit.logicalBytes,
      });
    }
  }
  catalog.recordPack({ name, sizeBytes: reader.packSize(name), frames: footer.frames, blobs: good }, { files, commits });
  return { blobs: good.length, files: files.length, commits: commits.length, corruptBlobs };
}

/**
 * `names` in an order in which a delta's base, when another of these packs holds it, is indexed
 * before the delta (reading a file map or commit stored as a delta needs its base). Footers are read
 * here and again when each pack is indexed, rather than all kept: a repository's footers are a
 * record per blob. A pack whose footer cannot be read keeps its place (indexing it names the damage).
 */
export function inIndexingOrder(names: readonly string[], reader: PackReader): string[] {
  const basesOf = new Map<string, Set<string>>(); // pack -> the base ids (latin1) its deltas need
  const allBases = new Set<string>();
  for (const name of names) {
    const bases = footerOrUndefined(name, reader)?.frames.flatMap((frame) => (frame.baseId === undefined ? [] : [frame.baseId.toString('latin1')]));
    if (bases === undefined || bases.length === 0) continue;
    basesOf.set(name, new Set(bases));
    for (const base of bases) allBases.add(base);
  }
  if (allBases.size === 0) return [...names];
  const holderOf = new Map<string, string>(); // base id -> the pack that holds it
  for (const name of names) {
    for (const blob of footerOrUndefined(name, reader)?.blobs ?? []) {
      const key = blob.id.toString('latin1');
      if (allBases.has(key) && !holderOf.has(key)) holderOf.set(key, name);
    }
  }
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    if (state.has(name)) return; // done, or a loop of packs (damage, named when a delta cannot be read)
    state.set(name, 'visiting');
    for (const base of basesOf.get(name) ?? []) {
      const holder = holderOf.get(base);
      if (holder !== undefined && holder !== name) visit(holder);
    }
    state.set(name, 'done');
    ordered.push(name);
  };
  for (const name of names) visit(name);
  return ordered;
}

function footerOrUndefined(name: string, reader: PackReader): PackFooter | undefined {
  try {
    return reader.readFooter(name);
  } catch (error) {
    if (error instanceof CorruptionError) return undefined;
    throw error;
  }
}

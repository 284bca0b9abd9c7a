import type { Catalog, CommitRow, FileRow } from '../catalog/catalog.js';
import { CorruptionError } from '../core/errors.js';
import { type BlobRecord, BlobType } from '../core/vocabulary.js';
import { decodeCommit } from '../objects/commit.js';
import { decodeFileMap } from '../objects/filemap.js';
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
  const good: BlobRecord[] = [];
  const files: FileRow[] = [];
  const commits: CommitRow[] = [];
  const corruptBlobs: string[] = [];
  for (const blob of footer.blobs) {
    if (!options.readEveryBlob && blob.type !== BlobType.FileMap && blob.type !== BlobType.Commit) {
      good.push(blob);
      continue;
    }
    const frame = footer.frames[blob.frameIndex]!;
    let bytes: Buffer;
    try {
      bytes = reader.readBlob({
        id: blob.id,
        type: blob.type,
        packName: name,
        frameOffset: frame.offset,
        frameStoredLength: frame.storedLength,
        frameRawLength: frame.rawLength,
        codec: frame.codec,
        offsetInFrame: blob.offsetInFrame,
        length: blob.length,
      });
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

import { restoreEachFile, type FileToRestore, type RestoreFailure } from '../../core/restore-file.js';
import { BlobType } from '../../core/vocabulary.js';
import type { Repository } from '../../repository/repository.js';
import type { PlannedFile } from '../../workers/tasks.js';
import { loadFileMap, locateReferencedBlob } from '../history/objects-io.js';
import { streamTarget } from './stream.js';

/** A file to restore on this thread, its bytes read from the repository (see core/restore-file.ts). */
export type RestoreItem = FileToRestore;

/** Restores each item from `repo` on this thread; one that fails is reported and the others are still restored. */
export function restoreEach(repo: Repository, items: readonly RestoreItem[]): Promise<RestoreFailure[]> {
  return restoreEachFile(items, (item) => async (write) => {
    await streamTarget(repo, { kind: 'file', fileId: Buffer.from(item.fileId, 'hex'), sizeBytes: item.sizeBytes }, write);
  });
}

/**
 * A file with where each of its chunks lies: a worker restores it reading packs by those locations,
 * with no catalog and no repository of its own (each worker opening the repository cost ~30 MB).
 */
export function planRestore(repo: Repository, item: RestoreItem): PlannedFile {
  const fileId = Buffer.from(item.fileId, 'hex');
  const chunks = [...loadFileMap(repo, fileId).chunks].map((chunk) => {
    const location = locateReferencedBlob(repo, Buffer.from(chunk.id), BlobType.Chunk, `file ${item.fileId}`);
    return { ...location, id: location.id.toString('hex') };
  });
  return { ...item, chunks };
}

import { StoreError } from '../../core/errors.js';
import type { Repository } from '../../repository/repository.js';
import { fileRecord, loadFileMap } from '../history/objects-io.js';

/**
 * What a new version of a file is compressed against: its earlier version (the same path in the
 * staging area). A new chunk's base is the earlier chunk that covered the same offset (FastCDC cuts
 * again where the content is the same, so a chunk changed by an edit mostly meets its own earlier
 * version there); the new file map's base is the earlier file map. Loaded on first use: most files
 * that changed bring one new chunk, many none.
 */
export class DeltaBases {
  private loaded: { ends: number[]; ids: Buffer[]; fileMapId: Buffer | undefined } | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly previousFileId: Buffer,
  ) {}

  /** The base for a new chunk that starts at `offset` in the new content. */
  chunkBase(offset: number): Buffer | undefined {
    const { ends, ids } = this.load();
    if (ids.length === 0) return undefined;
    // The first earlier chunk that ends after `offset` (the last one past the earlier end).
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (ends[middle]! > offset) high = middle;
      else low = middle + 1;
    }
    return ids[low];
  }

  fileMapBase(): Buffer | undefined {
    return this.load().fileMapId;
  }

  private load(): NonNullable<DeltaBases['loaded']> {
    if (this.loaded !== undefined) return this.loaded;
    this.loaded = { ends: [], ids: [], fileMapId: undefined };
    try {
      const record = fileRecord(this.repo, this.previousFileId);
      if (record === undefined) return this.loaded;
      let end = 0;
      for (const chunk of loadFileMap(this.repo, this.previousFileId, record).chunks) {
        end += chunk.length;
        this.loaded.ends.push(end);
        this.loaded.ids.push(Buffer.from(chunk.id));
      }
      this.loaded.fileMapId = record.filemapId;
    } catch (error) {
      // A damaged earlier version is no base: the new one is stored whole (verify names the damage).
      if (!(error instanceof StoreError)) throw error;
    }
    return this.loaded;
  }
}

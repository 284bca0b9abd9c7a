import { StoreError } from '../../core/errors.js';
import type { Repository } from '../../repository/repository.js';
import { fileRecord, loadFileMap } from '../history/objects-io.js';

/**
 * What a new version of a file is compressed against: its earlier version (the same path in the
 * staging area). A new chunk's base is the earlier chunk that shared most of its span of the content
 * (FastCDC cuts again where the content is the same, so a chunk changed by an edit mostly meets its
 * own earlier version there); the new file map's base is the earlier file map. Loaded on first use:
 * most files that changed bring one new chunk, many none.
 */
export class DeltaBases {
  private loaded: { ends: number[]; ids: Buffer[]; fileMapId: Buffer | undefined } | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly previousFileId: Buffer,
  ) {}

  /**
   * The base for a new chunk of `length` bytes at `offset` in the new content: of the earlier chunks
   * that overlap [offset, offset + length), the one that overlaps it most (the last one when the new
   * content reaches past the earlier end). The earlier chunk under the new one's first byte, the rule
   * before, often overlapped it by a few bytes only (a cut moved a little): over 19 releases of
   * rxjs, the new chunks of its large files (bundles, source maps) took 1.22 MB as deltas of those,
   * 0.49 MB as deltas of these (`node bench/delta-bases.js`).
   */
  chunkBase(offset: number, length: number): Buffer | undefined {
    const { ends, ids } = this.load();
    return ids.length === 0 ? undefined : ids[mostOverlappingChunk(ends, offset, length)];
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

/**
 * Of chunks that end at `ends` (ascending, the first starting at 0), the index of the one that
 * overlaps [offset, offset + length) most; the last one for a span past the last end.
 */
export function mostOverlappingChunk(ends: readonly number[], offset: number, length: number): number {
  // The first chunk that ends after `offset` (the last one past the end)...
  let low = 0;
  let high = ends.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ends[middle]! > offset) high = middle;
    else low = middle + 1;
  }
  // ...then on through those that start before the span ends, keeping the largest overlap.
  const end = offset + length;
  let best = low;
  let bestOverlap = Number.NEGATIVE_INFINITY;
  for (let index = low; index < ends.length; index++) {
    const start = index === 0 ? 0 : ends[index - 1]!;
    if (start >= end) break;
    const overlap = Math.min(ends[index]!, end) - Math.max(start, offset);
    if (overlap > bestOverlap) {
      best = index;
      bestOverlap = overlap;
    }
  }
  return best;
}

import { describe, expect, it } from 'vitest';
import { chooseStrategy, INLINE_MAX_TOTAL_BYTES, LARGE_FILE_MIN_BYTES, profileWorkload } from '../src/engine/ingest/classifier.js';

const MiB = 1024 * 1024;

describe('workload classifier', () => {
  const manySmall = profileWorkload(Array.from({ length: 1000 }, () => 40_000));
  const oneLarge = profileWorkload([4 * 1024 * MiB, 100, 200]);

  it('classifies by counts and bytes per size class', () => {
    expect(manySmall).toMatchObject({ fileCount: 1000, totalBytes: 40_000_000, small: { count: 1000 }, large: { count: 0 } });
    expect(chooseStrategy(manySmall, 2).workload).toBe('ManySmallFiles');
    expect(chooseStrategy(oneLarge, 2).workload).toBe('SingleLargeFile');
    expect(chooseStrategy(profileWorkload([LARGE_FILE_MIN_BYTES, LARGE_FILE_MIN_BYTES, 10]), 2).workload).toBe('FewLargeFiles');
    expect(chooseStrategy(profileWorkload([...Array(100).fill(1000), 200 * MiB, 300 * MiB, ...Array(100).fill(2 * MiB)]), 2).workload).toBe('Mixed');
  });

  it('keeps little work on the main thread, and small files read here leave it one core', () => {
    expect(chooseStrategy(profileWorkload([INLINE_MAX_TOTAL_BYTES - 1]), 2).compressionThreads).toBe(0);
    expect(chooseStrategy(manySmall, 0).compressionThreads).toBe(0);
    expect(chooseStrategy(manySmall, 2)).toMatchObject({ compressionThreads: 1, batchSmallFiles: false });
    expect(chooseStrategy(manySmall, 1)).toMatchObject({ compressionThreads: 1, batchSmallFiles: false });
    expect(chooseStrategy(manySmall, 4)).toMatchObject({ compressionThreads: 4, batchSmallFiles: true });
    expect(chooseStrategy(oneLarge, 2)).toMatchObject({ compressionThreads: 2, batchSmallFiles: false });
  });

  it('decides on the hashing thread too: only for a large file, and only when threads are used at all', () => {
    expect(chooseStrategy(oneLarge, 2).hashingThread).toBe(true);
    expect(chooseStrategy(oneLarge, 0).hashingThread).toBe(false);
    expect(chooseStrategy(manySmall, 2).hashingThread).toBe(false);
    expect(chooseStrategy(profileWorkload([LARGE_FILE_MIN_BYTES - 1, 20 * MiB]), 2).hashingThread).toBe(false);
  });
});

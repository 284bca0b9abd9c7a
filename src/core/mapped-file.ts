import { type BigIntStats, closeSync, fstatSync, openSync } from 'node:fs';
import type mmapModule from 'mmap-io';
import { errnoCode } from './errors.js';
import { lazyRequire } from './lazy-require.js';
import { callNative } from './native.js';

// mmap-io is CommonJS but its typings declare a default export; at run time the module itself is the API.
const mmapApi = lazyRequire<(typeof mmapModule)['default']>('mmap-io');

/** A file mapped read-only, and a way to let the kernel drop the pages read so far from this process. */
export interface MappedFile {
  bytes: Buffer;
  /** MADV_DONTNEED: the pages come back from the page cache when read again. */
  releasePages(): void;
  /** The file's fstat as it was mapped (to the nanosecond). */
  stats: BigIntStats;
}

/**
 * `path` mapped read-only (shared), or undefined when there is no such file. An empty file gives an
 * empty Buffer (mmap cannot map zero bytes).
 */
export function mapFile(path: string): MappedFile | undefined {
  return withFileIfExists(path, (fd) => {
    const stats = fstatSync(fd, { bigint: true });
    if (stats.size === 0n) return { bytes: Buffer.alloc(0), releasePages: () => {}, stats };
    const mmap = mmapApi();
    const bytes = mmap.map(Number(stats.size), mmap.PROT_READ, mmap.MAP_SHARED, fd, 0);
    // Not memory V8 can win back by collecting: counted, a large mapping starts a major collection (see the addon).
    callNative(path, (addon) => addon.uncountMappedBytes(bytes));
    return { bytes, releasePages: () => mmap.advise(bytes, mmap.MADV_DONTNEED), stats };
  });
}

/** `use` of `path` opened read-only, closed after; undefined (and `use` not called) when there is no such file. */
export function withFileIfExists<T>(path: string, use: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

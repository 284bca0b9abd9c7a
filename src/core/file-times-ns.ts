import { constants } from 'node:os';
import { lazyRequire } from './lazy-require.js';
import { encodeName } from './path-bytes.js';

interface StoreNative {
  setTimesNs(path: Buffer, atimeNs: bigint, mtimeNs: bigint, followSymlinks: boolean): void;
}

const native = lazyRequire<StoreNative>('store-native');
const errnoNames = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));

/**
 * Sets a file's access and modification times to `mtimeNs`, to the nanosecond (Node's utimes takes a
 * double of seconds, ~0.24 us at today's dates). A symlink's own times when `followSymlinks` is false.
 * Errors carry Node's `code` (ENOENT, ...).
 */
export function setTimesNs(path: string, mtimeNs: bigint, options: { followSymlinks: boolean }): void {
  try {
    native().setTimesNs(encodeName(path), mtimeNs, mtimeNs, options.followSymlinks);
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno !== undefined) Object.assign(error as object, { code: errnoNames.get(errno), path });
    throw error;
  }
}

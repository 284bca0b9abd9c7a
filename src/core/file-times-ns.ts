import { callNative } from './native.js';
import { encodeName } from './path-bytes.js';

/**
 * Sets a file's access and modification times to `mtimeNs`, to the nanosecond (Node's utimes takes a
 * double of seconds, ~0.24 us at today's dates). A symlink's own times when `followSymlinks` is false.
 * Errors carry Node's `code` (ENOENT, ...).
 */
export function setTimesNs(path: string, mtimeNs: bigint, options: { followSymlinks: boolean }): void {
  callNative(path, (addon) => addon.setTimesNs(encodeName(path), mtimeNs, mtimeNs, options.followSymlinks));
}

/** `setTimesNs` on an open file. */
export function setFileTimesNs(fd: number, mtimeNs: bigint): void {
  callNative(`fd ${fd}`, (addon) => addon.setFileTimesNs(fd, mtimeNs, mtimeNs));
}

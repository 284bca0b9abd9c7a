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

/** `setTimesNs` on an open file; `path` names it in an error. */
export function setFileTimesNs(fd: number, path: string, mtimeNs: bigint): void {
  callNative(path, (addon) => addon.setFileTimesNs(fd, mtimeNs, mtimeNs));
}

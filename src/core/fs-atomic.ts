import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory so that a rename or create inside it survives power loss. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes all of `bytes` at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Replaces `path` with what `produce` writes, so that a reader (or a crash) sees either the old or
 * the new file, never a mix: write a temporary sibling, fsync it, rename it over, fsync the
 * directory. `beforeRename` may set the temporary file's mode or times. `durable: false` skips the
 * fsyncs (still atomic, not power-loss safe): for restoring many files, as git does by default.
 */
export async function writeFileAtomicFrom(
  path: string,
  produce: (write: (bytes: Uint8Array) => void) => Promise<void> | void,
  options: { mode?: number; beforeRename?: (temporary: string) => void; durable?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temporary = temporarySibling(path);
  const fd = openSync(temporary, 'wx', options.mode ?? 0o644);
  try {
    await produce((bytes) => writeAll(fd, bytes));
    if (durable) fsyncSync(fd);
    closeSync(fd);
    options.beforeRename?.(temporary);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    unlinkSync(temporary);
    throw error;
  }
  renameSync(temporary, path);
  if (durable) fsyncDirectory(dirname(path));
}

/** `writeFileAtomicFrom` for data already in memory. */
export function writeFileAtomic(path: string, data: Uint8Array | string, options: { durable?: boolean } = {}): void {
  const durable = options.durable ?? true;
  const temporary = temporarySibling(path);
  const fd = openSync(temporary, 'wx', 0o644);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
  if (durable) fsyncDirectory(dirname(path));
}

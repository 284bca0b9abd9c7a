import { chmodSync, closeSync, fchmodSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, write, writeSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DirectWriter, openDirectAlso } from './direct-io.js';

/** fsync a directory so that a rename or create inside it survives power loss. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync on libuv's pool: the disk flush need not stop this thread. */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** `fsyncDirectory` on libuv's pool. */
export async function fsyncDirectoryAsync(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A fresh name in `path`'s directory. Short, whatever the name it stands for: a name may have 255
 * bytes, and a temporary name built from it would not fit.
 */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.store-${randomBytes(6).toString('hex')}.tmp`);
}

/** mkdir -p whose new folders get exactly `mode` (mkdir alone narrows it by the umask). */
export function makeDirectories(path: string, mode: number): void {
  const first = mkdirSync(path, { recursive: true, mode });
  if (first === undefined) return;
  for (let directory = path; ; directory = dirname(directory)) {
    chmodSync(directory, mode);
    if (directory === first) break;
  }
}

/**
 * Replaces `path` with what `produce` writes, so that a reader (or a crash) sees either the old or
 * the new file, never a mix: write a temporary sibling, fsync it, rename it over, fsync the
 * directory. `beforeRename` may set the temporary file's mode or times. `durable: false` skips the
 * fsyncs (still atomic, not power-loss safe): for restoring files, as git and cp do.
 * `expectedBytes`: a file of at least DIRECT_WRITE_MIN_BYTES is written around the page cache
 * where the file system allows it (see direct-io.ts).
 *
 * `write` may be called again before an earlier call's promise settles: each call owns the next
 * bytes of the file (positional writes), and a large one runs on libuv's thread pool so that this
 * thread can prepare the next bytes meanwhile. The caller must not touch `bytes` until it settles.
 */
export async function writeFileAtomicFrom(
  path: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void> | void,
  options: { mode?: number; beforeRename?: (temporary: string) => void; durable?: boolean; expectedBytes?: number } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temporary = temporarySibling(path);
  const fd = openSync(temporary, 'wx', options.mode ?? 0o644);
  if (options.mode !== undefined) fchmodSync(fd, options.mode); // the umask narrowed it
  const directFd = (options.expectedBytes ?? 0) >= DIRECT_WRITE_MIN_BYTES ? openDirectAlso(temporary) : undefined;
  const direct = directFd === undefined ? undefined : new DirectWriter(directFd, fd, writeAllAtAsync);
  const pending = new Set<Promise<void>>();
  try {
    let position = 0;
    await produce((bytes) => {
      if (direct !== undefined) return direct.write(bytes);
      const at = position;
      position += bytes.length;
      if (bytes.length < ASYNC_WRITE_MIN_BYTES) {
        writeAllAt(fd, bytes, at);
        return Promise.resolve();
      }
      const written = writeAllAtAsync(fd, bytes, at);
      pending.add(written);
      return written.finally(() => pending.delete(written));
    });
    await Promise.all(pending);
    await direct?.finish();
    if (durable) fsyncSync(fd);
    closeSync(fd);
    options.beforeRename?.(temporary);
  } catch (error) {
    await Promise.allSettled(pending); // no write may land after the unlink
    await direct?.abort();
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    unlinkSync(temporary);
    throw error;
  } finally {
    if (directFd !== undefined) closeSync(directFd);
  }
  renameSync(temporary, path);
  if (durable) fsyncDirectory(dirname(path));
}

/**
 * Files at least this large are written around the page cache: there its cost (see direct-io.ts)
 * is seconds; below it, many small files would each wait for the disk instead.
 */
export const DIRECT_WRITE_MIN_BYTES = 16 * 1024 * 1024;

/** Below this a write is done on this thread: a hop to the thread pool would cost more than the copy. */
const ASYNC_WRITE_MIN_BYTES = 256 * 1024;

/** Writes all of `bytes` at `position` (writeSync may write less than asked). */
export function writeAllAt(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
}

/** Writes all of `bytes` at `position`, on libuv's thread pool. */
export async function writeAllAtAsync(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await new Promise<number>((resolve, reject) =>
      write(fd, bytes, written, bytes.length - written, position + written, (error, count) => (error ? reject(error) : resolve(count))),
    );
  }
}

/** `writeFileAtomicFrom` for data already in memory; `mode`, when given, is set exactly (not narrowed by the umask). */
export function writeFileAtomic(path: string, data: Uint8Array | string, options: { durable?: boolean; mode?: number } = {}): void {
  const durable = options.durable ?? true;
  const temporary = temporarySibling(path);
  const fd = openSync(temporary, 'wx', options.mode ?? 0o644);
  try {
    if (options.mode !== undefined) fchmodSync(fd, options.mode);
    writeAllAt(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 0);
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

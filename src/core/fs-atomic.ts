import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  ftruncateSync,
  lstatSync,
  readdirSync,
  rmSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  write,
  writeSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DirectWriter, openDirectAlso } from './direct-io.js';
import { fsPath } from './path-bytes.js';
import { undoIfAbandoned } from './abandon.js';
import { errnoCode } from './errors.js';
import { setFileTimesNs } from './file-times-ns.js';
import { uniqueToken } from './unique-token.js';

/** fsync a directory so that a rename or create inside it survives power loss. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(fsPath(path), 'r');
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
  const fd = openSync(fsPath(path), 'r');
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
  return join(dirname(path), `${temporaryPrefix()}${threadToken}-${(temporaryCount++).toString(36)}.tmp`);
}

// A counter, not random bytes per name: a restore makes one per file. The token (random once per
// thread) keeps names apart across threads and from a dead process that had this pid; the files are
// made exclusively (O_EXCL), so a clash could only fail, never overwrite.
const threadToken = uniqueToken(10);
let temporaryCount = 0;
let processPrefix: string | undefined;

/** This process's temporary names (its worker threads' too) start so. */
function temporaryPrefix(): string {
  processPrefix ??= `.store-${process.pid}-`; // process.pid is a system call each time
  return processPrefix;
}

/**
 * Removes this process's temporary files in `directory`: for an interrupted process whose worker
 * threads were writing there (their own records of what they made die with them).
 */
export function removeOwnTemporaries(directory: string): void {
  let names: Buffer[];
  try {
    names = readdirSync(fsPath(directory), { encoding: 'buffer' });
  } catch {
    return; // gone, or never made
  }
  const prefix = Buffer.from(temporaryPrefix());
  for (const name of names) {
    if (name.subarray(0, prefix.length).equals(prefix) && name.toString('latin1').endsWith('.tmp'))
      unlinkSync(Buffer.concat([Buffer.from(`${directory}/`), name]));
  }
}

/** mkdir -p whose new folders get exactly `mode` (mkdir alone narrows it by the umask). */
export function makeDirectories(path: string, mode: number): void {
  const missing: string[] = [];
  for (let directory = path; !existsSync(fsPath(directory)); directory = dirname(directory)) missing.push(directory);
  if (missing.length === 0) return;
  mkdirSync(fsPath(path), { recursive: true, mode });
  for (const directory of missing) chmodSync(fsPath(directory), mode);
}

/**
 * Replaces `path` with what `produce` writes, so that a reader (or a crash) sees either the old or
 * the new file, never a mix: write a temporary sibling, fsync it, rename it over, fsync the
 * directory. `mtimeNs`: the file's access and modification times once written. `beforeRename` may set
 * the temporary file's mode. `durable: false` skips the
 * fsyncs (still atomic, not power-loss safe): for restoring files, as git and cp do.
 * `expectedBytes`: a file of at least DIRECT_WRITE_MIN_BYTES is written around the page cache
 * where the file system allows it (see direct-io.ts).
 *
 * `sparse`: whole 4 KiB blocks of zeros (at 4 KiB file offsets) are not written but left as holes,
 * as `cp --sparse=always` and tar do, so a sparse file comes back sparse.
 *
 * `write` may be called again before an earlier call's promise settles: each call owns the next
 * bytes of the file (positional writes), and a large one runs on libuv's thread pool so that this
 * thread can prepare the next bytes meanwhile. The caller must not touch `bytes` until it settles.
 */
export async function writeFileAtomicFrom(
  path: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void> | void,
  options: { mode?: number; mtimeNs?: bigint; beforeRename?: (temporary: string) => void; durable?: boolean; expectedBytes?: number; sparse?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const writeAtAsync = options.sparse ? skippingZeroBlocksAsync : writeAllAtAsync;
  const writeAt = options.sparse ? skippingZeroBlocks : writeAllAt;
  const temporary = temporarySibling(path);
  const fd = openSync(fsPath(temporary), 'wx', options.mode ?? 0o644);
  const forget = undoIfAbandoned(() => unlinkSync(fsPath(temporary)));
  if (options.mode !== undefined && narrowedByUmask(options.mode)) fchmodSync(fd, options.mode);
  const directFd = (options.expectedBytes ?? 0) >= DIRECT_WRITE_MIN_BYTES ? openDirectAlso(temporary) : undefined;
  const direct = directFd === undefined ? undefined : new DirectWriter(directFd, fd, writeAtAsync);
  const pending = new Set<Promise<void>>();
  try {
    let position = 0;
    await produce((bytes) => {
      const at = position;
      position += bytes.length;
      if (direct !== undefined) return direct.write(bytes);
      if (bytes.length < ASYNC_WRITE_MIN_BYTES) {
        writeAt(fd, bytes, at);
        return Promise.resolve();
      }
      const written = writeAtAsync(fd, bytes, at);
      pending.add(written);
      return written.finally(() => pending.delete(written));
    });
    await Promise.all(pending);
    await direct?.finish();
    // A hole at the end has no write to make it (a file shorter than a block has no hole).
    if (options.sparse && position >= HOLE_BLOCK_BYTES) ftruncateSync(fd, position);
    if (options.mtimeNs !== undefined) setFileTimesNs(fd, temporary, options.mtimeNs);
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
    unlinkSync(fsPath(temporary));
    throw error;
  } finally {
    forget();
    if (directFd !== undefined) closeSync(directFd);
  }
  renameOver(temporary, path);
  if (durable) fsyncDirectory(dirname(path));
}

/**
 * Renames `temporary` over `path`; a directory at `path` (a commit's file where the work tree has a
 * directory) is removed first. Tried first and handled on failure: most renames meet no directory, and
 * an lstat of every file first would cost a system call each.
 */
export function renameOver(temporary: string, path: string): void {
  try {
    renameSync(fsPath(temporary), fsPath(path));
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (!lstatSync(fsPath(path), { throwIfNoEntry: false })?.isDirectory()) throw error;
    rmSync(fsPath(path), { recursive: true });
    renameSync(fsPath(temporary), fsPath(path));
  }
}

let umask: number | undefined;

/** Whether open(2) with `mode` makes a file with fewer permission bits (the umask, read once). */
function narrowedByUmask(mode: number): boolean {
  umask ??= process.umask(); // readable on worker threads too
  return (mode & umask) !== 0;
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

const HOLE_BLOCK_BYTES = 4096;
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK_BYTES);

/**
 * The parts of a positional write that are not whole zero blocks: [start, end) offsets into `bytes`.
 * Blocks are aligned to file offsets, so an aligned (O_DIRECT) write stays aligned.
 */
function nonZeroRuns(bytes: Uint8Array, position: number): [number, number][] {
  const runs: [number, number][] = [];
  const isZeroBlock = (start: number): boolean => Buffer.from(bytes.buffer, bytes.byteOffset + start, HOLE_BLOCK_BYTES).equals(ZERO_BLOCK);
  let start = 0;
  let runStart = 0;
  // The first, partial block (if the write starts inside one) is written whatever it holds.
  const misalignment = position % HOLE_BLOCK_BYTES;
  if (misalignment !== 0) start = Math.min(bytes.length, HOLE_BLOCK_BYTES - misalignment);
  for (; start + HOLE_BLOCK_BYTES <= bytes.length; start += HOLE_BLOCK_BYTES) {
    if (!isZeroBlock(start)) continue;
    if (start > runStart) runs.push([runStart, start]);
    runStart = start + HOLE_BLOCK_BYTES;
  }
  if (bytes.length > runStart) runs.push([runStart, bytes.length]);
  return runs;
}

function skippingZeroBlocks(fd: number, bytes: Uint8Array, position: number): void {
  for (const [start, end] of nonZeroRuns(bytes, position)) writeAllAt(fd, bytes.subarray(start, end), position + start);
}

async function skippingZeroBlocksAsync(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  for (const [start, end] of nonZeroRuns(bytes, position)) await writeAllAtAsync(fd, bytes.subarray(start, end), position + start);
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
  const file = new AtomicFile(path, options);
  try {
    file.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  } catch (error) {
    file.discard();
    throw error;
  }
  file.commit();
}

/**
 * A file written a piece at a time (synchronously) under a temporary name, that replaces `path` whole
 * on `commit` or is removed on `discard` (or when the process is abandoned): for a writer that must
 * write as it goes, across calls, and never hold the whole file. `durable: false` skips the fsyncs.
 */
export class AtomicFile {
  private readonly temporary: string;
  private readonly fd: number;
  private readonly durable: boolean;
  private position = 0;
  private readonly forget: () => void;

  constructor(
    private readonly path: string,
    options: { durable?: boolean; mode?: number } = {},
  ) {
    this.durable = options.durable ?? true;
    this.temporary = temporarySibling(path);
    this.fd = openSync(fsPath(this.temporary), 'wx', options.mode ?? 0o644);
    this.forget = undoIfAbandoned(() => unlinkSync(fsPath(this.temporary)));
    try {
      if (options.mode !== undefined && narrowedByUmask(options.mode)) fchmodSync(this.fd, options.mode);
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  write(bytes: Uint8Array): void {
    writeAllAt(this.fd, bytes, this.position);
    this.position += bytes.length;
  }

  commit(): void {
    try {
      if (this.durable) fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(fsPath(this.temporary), fsPath(this.path));
    } catch (error) {
      this.discard();
      throw error;
    }
    this.forget();
    if (this.durable) fsyncDirectory(dirname(this.path));
  }

  discard(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    unlinkSync(fsPath(this.temporary));
    this.forget();
  }
}

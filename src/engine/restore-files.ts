import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { setTimesNs } from '../core/file-times-ns.js';
import { temporarySibling, writeFileAtomicFrom } from '../core/fs-atomic.js';
import { fsPath } from '../core/path-bytes.js';
import { EntryKind } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { streamTarget } from './restore.js';

/** One file or symlink to write out of the repository (plain data: it may travel to a worker thread). */
export interface RestoreItem {
  /** The path in the commit, for reports. */
  path: string;
  absolutePath: string;
  kind: EntryKind;
  fileId: string;
  sizeBytes: number;
  mtimeNs: bigint | undefined;
  /** Permission bits as recorded (07777); 0 where the commit recorded none: 0644, or 0755 for an executable. */
  mode: number;
}

/** A path that could not be restored, and why. */
export interface RestoreFailure {
  path: string;
  code: string;
  message: string;
}

/** The mode a restored file gets. */
export function restoredMode(item: Pick<RestoreItem, 'kind' | 'mode'>): number {
  if (item.mode !== 0) return item.mode;
  return item.kind === EntryKind.Executable ? 0o755 : 0o644;
}

/**
 * Writes one file or symlink atomically (temporary sibling, then rename), with its mode and time to
 * the nanosecond, runs of zeros left as holes.
 */
export async function restoreItem(repo: Repository, item: RestoreItem): Promise<void> {
  mkdirSync(fsPath(dirname(item.absolutePath)), { recursive: true });
  removeDirectoryInTheWay(item.absolutePath);
  const target = { kind: 'file' as const, fileId: Buffer.from(item.fileId, 'hex'), sizeBytes: item.sizeBytes };
  if (item.kind === EntryKind.Symlink) {
    const parts: Buffer[] = [];
    await streamTarget(repo, target, async (bytes) => {
      parts.push(Buffer.from(bytes));
    });
    const temporary = temporarySibling(item.absolutePath);
    symlinkSync(Buffer.concat(parts), fsPath(temporary));
    try {
      if (item.mtimeNs !== undefined && item.mtimeNs !== 0n) setTimesNs(temporary, item.mtimeNs, { followSymlinks: false });
      renameSync(fsPath(temporary), fsPath(item.absolutePath));
    } catch (error) {
      unlinkSync(fsPath(temporary));
      throw error;
    }
    return;
  }
  const mode = restoredMode(item);
  await writeFileAtomicFrom(item.absolutePath, (write) => streamTarget(repo, target, write).then(() => undefined), {
    mode,
    durable: false, // a restore can be repeated; thousands of fsyncs would dominate it
    expectedBytes: item.sizeBytes,
    sparse: true,
    beforeRename: (temporary) => {
      chmodSync(fsPath(temporary), mode); // setuid and setgid bits need chmod after the writes
      if (item.mtimeNs !== undefined && item.mtimeNs !== 0n) setTimesNs(temporary, item.mtimeNs, { followSymlinks: true });
    },
  });
}

/** Restores each item in turn; one that fails is reported and the others are still restored. */
export async function restoreEach(repo: Repository, items: readonly RestoreItem[]): Promise<RestoreFailure[]> {
  const failures: RestoreFailure[] = [];
  for (const item of items) {
    try {
      await restoreItem(repo, item);
    } catch (error) {
      failures.push(restoreFailure(item.path, error));
    }
  }
  return failures;
}

export function restoreFailure(path: string, error: unknown): RestoreFailure {
  const code = error instanceof StoreError ? error.code : (errnoCode(error) ?? 'IO_ERROR');
  return { path, code, message: (error as Error).message };
}

/** A directory where the commit has a file is replaced. */
function removeDirectoryInTheWay(absolute: string): void {
  try {
    if (lstatSync(fsPath(absolute)).isDirectory()) rmSync(fsPath(absolute), { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

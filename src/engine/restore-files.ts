import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { temporarySibling, writeFileAtomicFrom } from '../core/fs-atomic.js';
import { EntryKind } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { streamTarget } from './restore.js';

/** One file or symlink to write out of the repository (plain data: it may travel to a worker thread). */
export interface RestoreItem {
  absolutePath: string;
  kind: EntryKind;
  fileId: string;
  sizeBytes: number;
  mtimeNs: bigint | undefined;
}

/** Writes one file or symlink atomically (temporary sibling, then rename), with its mode and time. */
export async function restoreItem(repo: Repository, item: RestoreItem): Promise<void> {
  mkdirSync(dirname(item.absolutePath), { recursive: true });
  removeDirectoryInTheWay(item.absolutePath);
  const target = { kind: 'file' as const, fileId: Buffer.from(item.fileId, 'hex'), sizeBytes: item.sizeBytes };
  if (item.kind === EntryKind.Symlink) {
    const parts: Buffer[] = [];
    await streamTarget(repo, target, async (bytes) => {
      parts.push(Buffer.from(bytes));
    });
    const temporary = temporarySibling(item.absolutePath);
    symlinkSync(Buffer.concat(parts), temporary);
    renameSync(temporary, item.absolutePath);
    return;
  }
  const mode = item.kind === EntryKind.Executable ? 0o755 : 0o644;
  await writeFileAtomicFrom(item.absolutePath, (write) => streamTarget(repo, target, write).then(() => undefined), {
    mode,
    durable: false, // a restore can be repeated; thousands of fsyncs would dominate it
    expectedBytes: item.sizeBytes,
    beforeRename: (temporary) => {
      chmodSync(temporary, mode); // the umask may have narrowed the mode given at creation
      if (item.mtimeNs !== undefined && item.mtimeNs !== 0n) {
        // utimes takes float seconds (0.24 us apart at today's dates); half a microsecond more keeps
        // the float from landing just below the recorded time, which would lose its last millisecond.
        const seconds = Number(item.mtimeNs / 1000n) / 1e6 + 5e-7;
        utimesSync(temporary, seconds, seconds);
      }
    },
  });
}

/** A directory where the commit has a file is replaced. */
function removeDirectoryInTheWay(absolute: string): void {
  try {
    if (lstatSync(absolute).isDirectory()) rmSync(absolute, { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

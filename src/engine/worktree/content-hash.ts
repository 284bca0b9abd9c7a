import { closeSync, fstatSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { digestOf, hashBytes, withHasher } from '../../core/hash.js';
import { openForStableRead, sameStat } from '../../core/stable-read.js';
import { READ_WINDOW_BYTES } from '../ingest/file-ingest.js';
import { fsPath } from '../../core/path-bytes.js';
import { EntryKind } from '../../core/vocabulary.js';

export interface WorkTreeContent {
  /** BLAKE3 of the content, or of a symlink's target. */
  fileId: Buffer;
  /**
   * A regular file's stat data as it was read, when they were the same before and after reading:
   * what the staging area may record for this content. Undefined for symlinks and for a file that
   * changed while it was read.
   */
  stats?: BigIntStats;
}

/** One window for every file this thread hashes (the function is synchronous): 4 MiB per file was garbage. */
let readWindow: Buffer | undefined;

/** The file id of what is on disk now, storing nothing. */
export function hashWorkTreeFile(absolutePath: string, kind: EntryKind): WorkTreeContent {
  if (kind === EntryKind.Symlink) return { fileId: hashBytes(readlinkSync(fsPath(absolutePath), { encoding: 'buffer' })) };
  const fd = openForStableRead(absolutePath);
  try {
    const before = fstatSync(fd, { bigint: true });
    return withHasher((hasher) => {
      readWindow ??= Buffer.allocUnsafeSlow(READ_WINDOW_BYTES);
      let sizeBytes = 0;
      for (;;) {
        const n = readSync(fd, readWindow, 0, readWindow.length, null);
        if (n === 0) break;
        sizeBytes += n;
        hasher.update(readWindow.subarray(0, n));
      }
      const after = fstatSync(fd, { bigint: true });
      const unchanged = before.isFile() && sameStat(before, after) && sizeBytes === Number(after.size);
      return { fileId: digestOf(hasher), stats: unchanged ? after : undefined };
    });
  } finally {
    closeSync(fd);
  }
}

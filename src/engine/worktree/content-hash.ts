import { closeSync, fstatSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { hashBytes, newHasher } from '../../core/hash.js';
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

/** The file id of what is on disk now, storing nothing. */
export function hashWorkTreeFile(absolutePath: string, kind: EntryKind): WorkTreeContent {
  if (kind === EntryKind.Symlink) return { fileId: hashBytes(readlinkSync(fsPath(absolutePath), { encoding: 'buffer' })) };
  const fd = openForStableRead(absolutePath);
  try {
    const before = fstatSync(fd, { bigint: true });
    const hasher = newHasher();
    const buffer = Buffer.allocUnsafe(READ_WINDOW_BYTES);
    let sizeBytes = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      sizeBytes += n;
      hasher.update(buffer.subarray(0, n));
    }
    const after = fstatSync(fd, { bigint: true });
    const unchanged = before.isFile() && sameStat(before, after) && sizeBytes === Number(after.size);
    return { fileId: hasher.digestBuffer(), stats: unchanged ? after : undefined };
  } finally {
    closeSync(fd);
  }
}

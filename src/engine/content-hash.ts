import { closeSync, constants, openSync, readlinkSync, readSync } from 'node:fs';
import { hashBytes, newHasher } from '../core/hash.js';
import { EntryKind } from '../objects/tree.js';
import { READ_WINDOW_BYTES } from './file-ingest.js';

/** The file id of what is on disk now (BLAKE3 of the content, or of a symlink's target), storing nothing. */
export function hashWorkTreeFile(absolutePath: string, kind: EntryKind): Buffer {
  if (kind === EntryKind.Symlink) return hashBytes(readlinkSync(absolutePath, { encoding: 'buffer' }));
  const fd = openSync(absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const hasher = newHasher();
    const buffer = Buffer.allocUnsafe(READ_WINDOW_BYTES);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hasher.update(buffer.subarray(0, n));
    }
    return hasher.digestBuffer();
  } finally {
    closeSync(fd);
  }
}

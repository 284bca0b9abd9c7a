import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { temporarySibling, writeAllAt } from '../core/fs-atomic.js';
import { decodeNameAt, encodeName } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';
import { readRecord, STAGING_RECORD_BYTES, writeRecord, type StagedEntry } from './staging-format.js';

const BUFFER_BYTES = 1024 * 1024;

/**
 * Staged entries in path byte order, too many to hold, written to a temporary file as they come and
 * read back in order as often as asked (a staging file is written in three passes). Each is kept as
 * the staging file keeps it: its 88-byte record (the path's length at its end), then the path. The
 * file is unlinked as soon as it is opened: nothing is left behind, however the process ends.
 */
export class EntrySpill {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private readonly view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private used = 0;
  private fileBytes = 0;
  private lastPath: string | undefined;

  constructor(temporaryDirectory: string) {
    const path = temporarySibling(join(temporaryDirectory, 'spill'));
    this.fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
  }

  push(entry: StagedEntry): void {
    // The walk gives paths in order; a path out of order would make a staging file its reader refuses.
    if (this.lastPath !== undefined && compareUtf8(this.lastPath, entry.path) >= 0)
      throw new Error(`internal: ${JSON.stringify(entry.path)} spilled after ${JSON.stringify(this.lastPath)}`);
    this.lastPath = entry.path;
    const name = encodeName(entry.path);
    if (this.used + STAGING_RECORD_BYTES + name.length > this.buffer.length) this.flush();
    writeRecord(this.buffer, this.view, this.used, entry);
    this.view.setUint32(this.used + 84, name.length, true);
    this.buffer.set(name, this.used + STAGING_RECORD_BYTES);
    this.used += STAGING_RECORD_BYTES + name.length;
  }

  /** The entries in order; each one's file id is valid until the next is read. */
  *entries(): Generator<StagedEntry> {
    this.flush();
    const window = Buffer.allocUnsafe(BUFFER_BYTES);
    const view = new DataView(window.buffer, window.byteOffset, window.byteLength);
    let position = 0; // of the window's first byte in the file
    let filled = 0;
    let at = 0;
    while (position + at < this.fileBytes) {
      const need = (): number => (filled - at >= STAGING_RECORD_BYTES ? STAGING_RECORD_BYTES + view.getUint32(at + 84, true) : STAGING_RECORD_BYTES);
      if (filled - at < need()) {
        window.copy(window, 0, at, filled);
        position += at;
        filled -= at;
        at = 0;
        while (filled < need() && position + filled < this.fileBytes) {
          filled += readSync(this.fd, window, filled, window.length - filled, position + filled);
        }
      }
      const pathLength = view.getUint32(at + 84, true);
      const start = at + STAGING_RECORD_BYTES;
      yield readRecord(window, view, at, decodeNameAt(window, start, start + pathLength));
      at = start + pathLength;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private flush(): void {
    writeAllAt(this.fd, this.buffer.subarray(0, this.used), this.fileBytes);
    this.fileBytes += this.used;
    this.used = 0;
  }
}

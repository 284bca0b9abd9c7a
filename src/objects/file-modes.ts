import { CorruptionError } from '../core/errors.js';
import type { TreePaths } from './file-times.js';

/**
 * Permission bits and hard links of a commit's files and directories, kept apart from the trees (as
 * the times are) so that identical content has identical tree ids whatever its modes. A blob of its
 * own, not part of the times: modes rarely change, so consecutive commits share one blob, and a
 * commit whose tree and modes blob equal its parent's changes nothing.
 *
 * Version 1 (format 4): u8 version(1) | u32 fileCount | u32 directoryCount |
 *   fileCount x (u32 mode | u32 linkGroup) | directoryCount x u32 mode
 * paired with the tree's paths as the times are (see TreePaths). `mode` holds the permission bits
 * (07777: setuid, setgid, sticky and rwx), 0 where unknown. Files with the same non-zero `linkGroup`
 * were hard links of one inode (with one content), and are restored as such.
 */
const FILE_MODES_VERSION = 1;
const HEADER_BYTES = 9;

export interface FileMode {
  mode: number;
  linkGroup: number;
}

export interface RecordedModes {
  files: Map<string, FileMode>;
  directories: Map<string, number>;
}

export function encodeFileModes(files: readonly FileMode[], directoryModes: ArrayLike<number>): Buffer {
  return encodeFileModesOf(
    Uint32Array.from(files, (file) => file.mode),
    Uint32Array.from(files, (file) => file.linkGroup),
    directoryModes,
  );
}

/** `encodeFileModes` from each file's mode and link group side by side (8 bytes a file, no object per file). */
export function encodeFileModesOf(modes: ArrayLike<number>, linkGroups: ArrayLike<number>, directoryModes: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + modes.length * 8 + directoryModes.length * 4);
  out.writeUInt8(FILE_MODES_VERSION, 0);
  out.writeUInt32LE(modes.length, 1);
  out.writeUInt32LE(directoryModes.length, 5);
  let at = HEADER_BYTES;
  for (let index = 0; index < modes.length; index++) {
    out.writeUInt32LE(modes[index]! & 0o7777, at);
    out.writeUInt32LE(linkGroups[index]!, at + 4);
    at += 8;
  }
  for (let index = 0; index < directoryModes.length; index++) {
    out.writeUInt32LE(directoryModes[index]! & 0o7777, at);
    at += 4;
  }
  return out;
}

/** A modes blob read by position (the i-th file and directory in path byte order), as FileTimesReader. */
export class FileModesReader {
  readonly fileCount: number;
  readonly directoryCount: number;

  constructor(private readonly bytes: Buffer) {
    if (bytes.length < HEADER_BYTES) fail('bad header');
    if (bytes.readUInt8(0) !== FILE_MODES_VERSION) fail(`unknown version ${bytes.readUInt8(0)}`);
    this.fileCount = bytes.readUInt32LE(1);
    this.directoryCount = bytes.readUInt32LE(5);
    if (bytes.length !== HEADER_BYTES + this.fileCount * 8 + this.directoryCount * 4) fail('length does not match its counts');
  }

  fileMode(index: number): FileMode {
    if (index >= this.fileCount) return { mode: 0, linkGroup: 0 };
    const at = HEADER_BYTES + index * 8;
    return { mode: checkedMode(this.bytes.readUInt32LE(at)), linkGroup: this.bytes.readUInt32LE(at + 4) };
  }

  directoryMode(index: number): number {
    return index < this.directoryCount ? checkedMode(this.bytes.readUInt32LE(HEADER_BYTES + this.fileCount * 8 + index * 4)) : 0;
  }

  checkCounts(fileCount: number, directoryCount: number): void {
    if (fileCount !== this.fileCount || directoryCount !== this.directoryCount) {
      fail(`modes for ${this.fileCount} files and ${this.directoryCount} directories, a tree of ${fileCount} and ${directoryCount}`);
    }
  }
}

function fail(what: string): never {
  throw new CorruptionError('CORRUPT_OBJECT', `file modes: ${what}`);
}

function checkedMode(mode: number): number {
  if (mode > 0o7777) fail(`mode ${mode.toString(8)} out of range`);
  return mode;
}

export function decodeFileModes(bytes: Buffer, paths: TreePaths): RecordedModes {
  const reader = new FileModesReader(bytes);
  reader.checkCounts(paths.files.length, paths.directories.length);
  const files = new Map<string, FileMode>();
  paths.files.forEach((path, index) => files.set(path, reader.fileMode(index)));
  const directories = new Map<string, number>();
  paths.directories.forEach((path, index) => {
    const mode = reader.directoryMode(index);
    if (mode !== 0) directories.set(path, mode);
  });
  return { files, directories };
}

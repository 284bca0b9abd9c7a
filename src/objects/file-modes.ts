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
  const blob = new FileModesBlob(files.length, directoryModes.length);
  files.forEach((file, index) => {
    blob.setFile(index, file.mode);
    blob.setLinkGroup(index, file.linkGroup);
  });
  for (let index = 0; index < directoryModes.length; index++) blob.setDirectory(index, directoryModes[index]!);
  return blob.bytes;
}

/** A modes blob filled in place (link groups 0 until set): no array of the modes beside it. */
export class FileModesBlob {
  readonly bytes: Buffer;

  constructor(
    private readonly fileCount: number,
    directoryCount: number,
  ) {
    this.bytes = Buffer.alloc(HEADER_BYTES + fileCount * 8 + directoryCount * 4);
    this.bytes.writeUInt8(FILE_MODES_VERSION, 0);
    this.bytes.writeUInt32LE(fileCount, 1);
    this.bytes.writeUInt32LE(directoryCount, 5);
  }

  setFile(index: number, mode: number): void {
    this.bytes.writeUInt32LE(mode & 0o7777, HEADER_BYTES + index * 8);
  }

  setLinkGroup(index: number, linkGroup: number): void {
    this.bytes.writeUInt32LE(linkGroup, HEADER_BYTES + index * 8 + 4);
  }

  setDirectory(index: number, mode: number): void {
    this.bytes.writeUInt32LE(mode & 0o7777, HEADER_BYTES + this.fileCount * 8 + index * 4);
  }
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

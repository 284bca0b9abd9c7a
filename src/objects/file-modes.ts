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

export function encodeFileModes(files: readonly FileMode[], directoryModes: readonly number[]): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + files.length * 8 + directoryModes.length * 4);
  out.writeUInt8(FILE_MODES_VERSION, 0);
  out.writeUInt32LE(files.length, 1);
  out.writeUInt32LE(directoryModes.length, 5);
  let at = HEADER_BYTES;
  for (const file of files) {
    out.writeUInt32LE(file.mode & 0o7777, at);
    out.writeUInt32LE(file.linkGroup, at + 4);
    at += 8;
  }
  for (const mode of directoryModes) {
    out.writeUInt32LE(mode & 0o7777, at);
    at += 4;
  }
  return out;
}

export function decodeFileModes(bytes: Buffer, paths: TreePaths): RecordedModes {
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_OBJECT', `file modes: ${what}`);
  };
  if (bytes.length < HEADER_BYTES) fail('bad header');
  if (bytes.readUInt8(0) !== FILE_MODES_VERSION) fail(`unknown version ${bytes.readUInt8(0)}`);
  const fileCount = bytes.readUInt32LE(1);
  const directoryCount = bytes.readUInt32LE(5);
  if (bytes.length !== HEADER_BYTES + fileCount * 8 + directoryCount * 4) fail('length does not match its counts');
  if (fileCount !== paths.files.length || directoryCount !== paths.directories.length) {
    fail(`modes for ${fileCount} files and ${directoryCount} directories, a tree of ${paths.files.length} and ${paths.directories.length}`);
  }
  const files = new Map<string, FileMode>();
  let at = HEADER_BYTES;
  for (const path of paths.files) {
    const mode = bytes.readUInt32LE(at);
    if (mode > 0o7777) fail(`mode ${mode.toString(8)} out of range`);
    files.set(path, { mode, linkGroup: bytes.readUInt32LE(at + 4) });
    at += 8;
  }
  const directories = new Map<string, number>();
  for (const path of paths.directories) {
    const mode = bytes.readUInt32LE(at);
    if (mode > 0o7777) fail(`mode ${mode.toString(8)} out of range`);
    if (mode !== 0) directories.set(path, mode);
    at += 4;
  }
  return { files, directories };
}

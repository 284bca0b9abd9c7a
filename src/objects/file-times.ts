import { CorruptionError } from '../core/errors.js';
import { decodeName } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';

/**
 * Modification times of a commit's files and directories, kept apart from the trees so that identical
 * content still has identical tree ids.
 *
 * Version 3 (written since format 4): u8 version(3) | u32 fileCount | u32 directoryCount |
 * fileCount x i64 mtimeNs | directoryCount x i64 mtimeNs: one for each file of the commit's tree
 * (files, executables, symlinks), then one for each directory below the root, each group in the byte
 * order of the paths (see TreePaths), 0 where the time is unknown.
 *
 * Version 2 (format 3), still read: u8 version(2) | u32 count | count x i64 mtimeNs, the files only.
 * For a commit of 12,000 files, the times with their paths (version 1) were 621 KB and 94.5 KB as zstd
 * stored them; without, 97 KB and 8.2 KB.
 *
 * Version 1 (format 2), still read: u8 version(1) | u32 count | count x (i64 mtimeNs | u16 pathLength
 * | path), sorted by path bytes.
 */
const FILE_TIMES_VERSION = 3;
const FILES_ONLY_VERSION = 2;
const PATHS_INCLUDED_VERSION = 1;

/** The paths a commit's metadata blobs are paired with: its tree's files and directories, each in byte order. */
export interface TreePaths {
  files: string[];
  /** Every directory that holds a file, the root ('') left out. */
  directories: string[];
}

export function treePathsOf(filePaths: Iterable<string>): TreePaths {
  const files = [...filePaths].sort(compareUtf8);
  return { files, directories: directoriesHolding(files) };
}

/** The directories that hold the given files (at any depth), the root left out, in byte order. */
export function directoriesHolding(filePaths: Iterable<string>): string[] {
  const directories = new DirectoriesHolding();
  for (const path of filePaths) directories.add(path);
  return directories.sorted();
}

/** `directoriesHolding`, told one file at a time (as a walk finds them). */
export class DirectoriesHolding {
  private readonly directories = new Set<string>();

  add(path: string): void {
    const slash = path.lastIndexOf('/');
    if (slash > 0) this.addDirectory(path.slice(0, slash));
  }

  /** A directory that holds a file (not ''), and so each one above it. */
  addDirectory(directory: string): void {
    for (let end = directory.length; end > 0; end = directory.lastIndexOf('/', end - 1)) {
      const above = end === directory.length ? directory : directory.slice(0, end);
      if (this.directories.has(above)) break; // and so are its ancestors
      this.directories.add(above);
    }
  }

  sorted(): string[] {
    return [...this.directories].sort(compareUtf8);
  }
}

export interface RecordedTimes {
  files: Map<string, bigint>;
  directories: Map<string, bigint>;
}

/** One time for each of `paths.files`, then each of `paths.directories` (0n: unknown). */
export function encodeFileTimes(fileTimesNs: ArrayLike<bigint>, directoryTimesNs: ArrayLike<bigint>): Buffer {
  const blob = new FileTimesBlob(fileTimesNs.length, directoryTimesNs.length);
  for (let index = 0; index < fileTimesNs.length; index++) blob.setFile(index, fileTimesNs[index]!);
  for (let index = 0; index < directoryTimesNs.length; index++) blob.setDirectory(index, directoryTimesNs[index]!);
  return blob.bytes;
}

/** A times blob (version 3) filled in place, time by time: no array of the times beside it. */
export class FileTimesBlob {
  readonly bytes: Buffer;
  private readonly view: DataView; // its BigInt setter is a V8 builtin

  constructor(
    private readonly fileCount: number,
    directoryCount: number,
  ) {
    this.bytes = Buffer.alloc(9 + (fileCount + directoryCount) * 8);
    this.bytes.writeUInt8(FILE_TIMES_VERSION, 0);
    this.bytes.writeUInt32LE(fileCount, 1);
    this.bytes.writeUInt32LE(directoryCount, 5);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  setFile(index: number, mtimeNs: bigint): void {
    this.view.setBigInt64(9 + index * 8, mtimeNs, true);
  }

  setDirectory(index: number, mtimeNs: bigint): void {
    this.view.setBigInt64(9 + (this.fileCount + index) * 8, mtimeNs, true);
  }
}

/** The known times by path, paired with the commit's tree paths; fails when the counts differ. */
/**
 * A times blob read by position: the time of the i-th file (in path byte order) and of the i-th
 * directory, without a map of paths, for a walk that meets the files in that order. Version 1 (each
 * time with its path) is read by path instead.
 */
export class FileTimesReader {
  readonly fileCount: number;
  /** Undefined for versions that record none (directories then have no time). */
  readonly directoryCount: number | undefined;
  /** Version 1's times, by their own paths. */
  readonly byPath: Map<string, bigint> | undefined;
  private readonly headerBytes: number;
  private readonly view: DataView;

  constructor(bytes: Buffer) {
    const fail = (what: string): never => {
      throw new CorruptionError('CORRUPT_OBJECT', `file times: ${what}`);
    };
    if (bytes.length < 5) fail('bad header');
    const version = bytes.readUInt8(0);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (version === PATHS_INCLUDED_VERSION) {
      this.byPath = decodeWithPaths(bytes, fail);
      this.fileCount = this.byPath.size;
      this.headerBytes = 5;
      return;
    }
    if (version !== FILE_TIMES_VERSION && version !== FILES_ONLY_VERSION) fail(`unknown version ${version}`);
    this.fileCount = bytes.readUInt32LE(1);
    this.headerBytes = version === FILE_TIMES_VERSION ? 9 : 5;
    if (bytes.length < this.headerBytes) fail('bad header');
    this.directoryCount = version === FILE_TIMES_VERSION ? bytes.readUInt32LE(5) : undefined;
    if (bytes.length !== this.headerBytes + (this.fileCount + (this.directoryCount ?? 0)) * 8) fail('length does not match its counts');
  }

  /** The time of the file at `index` in path byte order (its path serves version 1); 0n when unknown. */
  fileTime(index: number, path: string): bigint {
    if (this.byPath !== undefined) return this.byPath.get(path) ?? 0n;
    return index < this.fileCount ? this.view.getBigInt64(this.headerBytes + index * 8, true) : 0n;
  }

  directoryTime(index: number): bigint {
    if (this.directoryCount === undefined || index >= this.directoryCount) return 0n;
    return this.view.getBigInt64(this.headerBytes + (this.fileCount + index) * 8, true);
  }

  /** Checks the counts against the tree the times were read for (see TreePaths). */
  checkCounts(fileCount: number, directoryCount: number): void {
    if (this.byPath !== undefined) return; // paired by path, not by position
    if (this.fileCount !== fileCount) throw new CorruptionError('CORRUPT_OBJECT', `file times: ${this.fileCount} times for a tree of ${fileCount} files`);
    if (this.directoryCount !== undefined && this.directoryCount !== directoryCount) {
      throw new CorruptionError('CORRUPT_OBJECT', `file times: ${this.directoryCount} times for a tree of ${directoryCount} directories`);
    }
  }
}

export function decodeFileTimes(bytes: Buffer, paths: TreePaths): RecordedTimes {
  const reader = new FileTimesReader(bytes);
  if (reader.byPath !== undefined) return { files: reader.byPath, directories: new Map() };
  reader.checkCounts(paths.files.length, paths.directories.length);
  const pair = (names: readonly string[], timeAt: (index: number, path: string) => bigint): Map<string, bigint> => {
    const times = new Map<string, bigint>();
    names.forEach((path, index) => {
      const mtimeNs = timeAt(index, path);
      if (mtimeNs !== 0n) times.set(path, mtimeNs);
    });
    return times;
  };
  return {
    files: pair(paths.files, (index, path) => reader.fileTime(index, path)),
    directories: pair(paths.directories, (index) => reader.directoryTime(index)),
  };
}

/** Version 1: each time with its path. */
function decodeWithPaths(bytes: Buffer, fail: (what: string) => never): Map<string, bigint> {
  const count = bytes.readUInt32LE(1);
  const times = new Map<string, bigint>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 10 > bytes.length) fail('truncated');
    const mtimeNs = view.getBigInt64(at, true);
    const length = bytes.readUInt16LE(at + 8);
    at += 10;
    if (at + length > bytes.length) fail('truncated path');
    times.set(decodeName(bytes.subarray(at, at + length)), mtimeNs);
    at += length;
  }
  if (at !== bytes.length) fail('trailing bytes');
  return times;
}

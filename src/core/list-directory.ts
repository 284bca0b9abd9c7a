import { callNative, errnoName } from './native.js';
import { decodeNameAt, encodeName } from './path-bytes.js';

/**
 * What a walk keeps of an lstat, as plain numbers. Times are Node's milliseconds (sec * 1e3 + nsec /
 * 1e6, computed as Node computes them), which tell apart times ~0.25 us apart (git, by default,
 * compares whole seconds).
 */
export interface LstatNumbers {
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

/** A name in a directory with its lstat, or the errno code of the lstat that failed (ENOENT: gone since it was listed). */
export type ListedEntry = { name: string; stats: LstatNumbers; error?: undefined } | { name: string; stats?: undefined; error: string };

/** Fields per name in the native result (see native/store_native.c). */
const FIELDS = 10;

/**
 * A directory's names (decoded from their bytes, see path-bytes.ts) and each one's lstat, in one
 * native call: the directory is opened once and each name stat'ed against it (fstatat), where
 * lstatSync per file cost a call, a Stats object and a walk of the whole path each (in a CPU profile
 * of a clean status of bench/scale.js's 100,000 files, a third of the time). In the order the file
 * system lists them.
 * Throws a Node-style error (code, syscall, path) when the directory cannot be read.
 */
export function listDirectory(path: string): ListedEntry[] {
  const { names, fields } = callNative(path, (addon) => addon.listDirectory(encodeName(path)));
  const entries: ListedEntry[] = [];
  let nameStart = 0;
  for (let at = 0; at < fields.length; at += FIELDS) {
    const nameEnd = fields[at]!;
    const name = decodeNameAt(names, nameStart, nameEnd);
    nameStart = nameEnd;
    const errno = fields[at + 9]!;
    if (errno !== 0) {
      entries.push({ name, error: errnoName(errno) });
      continue;
    }
    entries.push({
      name,
      stats: {
        mode: fields[at + 1]!,
        size: fields[at + 2]!,
        mtimeMs: fields[at + 3]! * 1e3 + fields[at + 4]! / 1e6,
        ctimeMs: fields[at + 5]! * 1e3 + fields[at + 6]! / 1e6,
        ino: fields[at + 7]!,
        dev: fields[at + 8]!,
      },
    });
  }
  return entries;
}

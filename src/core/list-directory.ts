import { callNative, errnoName, nativeError, type RawListing } from './native.js';
import { decodeNameAt, encodeName } from './path-bytes.js';
import { msOfTimespec } from './timespec.js';

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
 * of a clean status of bench/scale.js's 100,000 files, a third of the time). Sorted as trees sort
 * paths: by bytes, a directory's name as if a '/' followed it.
 * Throws a Node-style error (code, syscall, path) when the directory cannot be read.
 */
export function listDirectory(path: string): ListedEntry[] {
  return decodeListing(callNative(path, (addon) => addon.listDirectory(encodeName(path))));
}

/** A directory listed ahead: its names and numbers as the addon gave them, decoded when walked into. */
export type ListedAhead = { decode(): ListedEntry[] };

/**
 * Starts listDirectory of each path on the addon's threads, as many as there are cores, and returns
 * at once: the caller works on while they list (the 500 directories of 1,000 files each of a clean
 * status listed in 360 ms instead of 630 on two cores, measured by hand). `finish` waits for them and
 * gives each listing, or the error listDirectory would have thrown, in its place. Kept as bytes until
 * decoded: objects held that long outlive young collections.
 */
export function startListing(paths: readonly string[]): { finish(): (ListedAhead | NodeJS.ErrnoException)[] } {
  const handle = callNative(paths[0] ?? '', (addon) => addon.startListing(paths.map(encodeName)));
  return {
    finish: () =>
      callNative(paths[0] ?? '', (addon) => addon.finishListing(handle)).map((listing, index) =>
        'errno' in listing ? nativeError(listing.errno, listing.syscall, paths[index]!) : { decode: () => decodeListing(listing) },
      ),
  };
}

function decodeListing({ names, fields }: RawListing): ListedEntry[] {
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
        mtimeMs: msOfTimespec(fields[at + 3]!, fields[at + 4]!),
        ctimeMs: msOfTimespec(fields[at + 5]!, fields[at + 6]!),
        ino: fields[at + 7]!,
        dev: fields[at + 8]!,
      },
    });
  }
  return entries;
}

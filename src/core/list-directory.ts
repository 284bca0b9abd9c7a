import { constants } from 'node:fs';
import { callNative, errnoName, nativeError, type ListingMemory, type RawListing } from './native.js';
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
/** Fields of a directory's own fstat in the native result and in known names (see native/store_native.c). */
export const SELF_FIELDS = 6;

const { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK } = constants;

/**
 * A directory's names and lstats as the addon gave them (names end to end as bytes, FIELDS numbers
 * per name), read in place: a walk that only compares a name's bytes and numbers against a staged
 * entry makes no string or object for it (a clean status at 500,000 files spent a third of its time
 * decoding listings into objects). Sorted as trees sort paths: by bytes, a directory's name as if
 * a '/' followed it.
 */
export class DirectoryListing {
  private listedCount: number;

  /**
   * `self`: the directory's own fstat, taken before its names were read (inode, device, mtime s and
   * ns, ctime s and ns); `fromKnown`: the names were the known ones given, not read (see listDirectory);
   * `memory`: the addon's memory that `names` and `fields` lie in (see release).
   */
  constructor(
    readonly names: Buffer,
    private readonly fields: Float64Array,
    readonly self: Float64Array = new Float64Array(SELF_FIELDS),
    readonly fromKnown = false,
    private readonly memory?: ListingMemory,
    /** How many of the names are directories (undefined: not counted, so maybe some). */
    private readonly directories?: number,
  ) {
    this.listedCount = fields.length / FIELDS;
  }

  /** Whether some name is a directory (a walk looks for subdirectories only then). */
  holdsDirectories(): boolean {
    return this.directories === undefined || this.directories > 0;
  }

  /** How many names it holds (none once released). */
  get count(): number {
    return this.listedCount;
  }

  /**
   * Frees the addon's memory behind the names and the numbers now, rather than when V8 collects, which
   * it does late (see releaseListing in native/store_native.c): for a walk done with the listing. The
   * listing is empty afterwards (its buffers detached: nothing can read freed memory).
   */
  release(): void {
    if (this.memory !== undefined) callNative('', (addon) => addon.releaseListing(this.names, this.fields, this.memory));
    this.listedCount = 0;
  }

  /**
   * How many entries from `from` on are, one after another, the staged entries from `stagingIndex`
   * on (`staging`: the staging area's bytes, `directory`: this listing's path as bytes) at unchanged
   * stat data: unchangedRun in native/store_native.c.
   */
  unchangedRunIn(staging: Buffer, stagingIndex: number, directory: Buffer, from: number): number {
    return callNative('', (addon) => addon.unchangedRun(staging, stagingIndex, directory, this.names, this.fields, from));
  }

  /** Where name `index`'s bytes start in `names`; they end where the next one starts (nameEnd). */
  nameStart(index: number): number {
    return index === 0 ? 0 : this.fields[(index - 1) * FIELDS]!;
  }

  nameEnd(index: number): number {
    return this.fields[index * FIELDS]!;
  }

  /** The name, decoded (see path-bytes.ts). */
  nameAt(index: number): string {
    return decodeNameAt(this.names, this.nameStart(index), this.nameEnd(index));
  }

  /** Whether `name` (ASCII) is listed, as a directory or as anything else: listingHolds in native/store_native.c. */
  holds(name: string): boolean {
    return callNative('', (addon) => addon.listingHolds(this.names, this.fields, name));
  }

  /** The errno code of the name's lstat (ENOENT: gone since it was listed), or undefined when it succeeded. */
  errorAt(index: number): string | undefined {
    const errno = this.fields[index * FIELDS + 9]!;
    return errno === 0 ? undefined : errnoName(errno);
  }

  private typeAt(index: number): number {
    return this.fields[index * FIELDS + 9] === 0 ? this.fields[index * FIELDS + 1]! & S_IFMT : -1;
  }

  isDirectoryAt(index: number): boolean {
    return this.typeAt(index) === S_IFDIR;
  }

  /** A regular file or a symlink whose lstat succeeded: what a staged entry can be. */
  isFileOrSymlinkAt(index: number): boolean {
    const type = this.typeAt(index);
    return type === S_IFREG || type === S_IFLNK;
  }

  /** The name's lstat numbers, into `into` when given (a walk reuses one object). */
  statsAt(index: number, into: LstatNumbers = { mode: 0, size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, dev: 0 }): LstatNumbers {
    const at = index * FIELDS;
    const fields = this.fields;
    into.mode = fields[at + 1]!;
    into.size = fields[at + 2]!;
    into.mtimeMs = msOfTimespec(fields[at + 3]!, fields[at + 4]!);
    into.ctimeMs = msOfTimespec(fields[at + 5]!, fields[at + 6]!);
    into.ino = fields[at + 7]!;
    into.dev = fields[at + 8]!;
    return into;
  }

  /** Every name with its lstat or error, decoded. */
  entries(): ListedEntry[] {
    const entries: ListedEntry[] = [];
    for (let index = 0; index < this.count; index++) {
      const name = this.nameAt(index);
      const error = this.errorAt(index);
      entries.push(error === undefined ? { name, stats: this.statsAt(index) } : { name, error });
    }
    return entries;
  }
}

/**
 * A directory's names and each one's lstat, in one native call: the directory is opened once and
 * each name stat'ed against it (fstatat), where lstatSync per file cost a call, a Stats object and
 * a walk of the whole path each (in a CPU profile of a clean status of bench/scale.js's 100,000
 * files, a third of the time). Throws a Node-style error (code, syscall, path) when the directory
 * cannot be read.
 *
 * `known`: what the directory held when last listed (its `self` as SELF_FIELDS little-endian doubles,
 * then each name and a NUL; see knownNamesOf): while the directory's fstat is still that one, those
 * names are stat'ed and the directory is not read (git's untracked cache: a directory's entries
 * cannot change without its mtime and ctime moving).
 */
export function listDirectory(path: string, known?: Buffer): DirectoryListing {
  return fromRaw(callNative(path, (addon) => addon.listDirectory(encodeName(path), known ?? null)));
}

function fromRaw(raw: RawListing): DirectoryListing {
  return new DirectoryListing(raw.names, raw.fields, raw.self, raw.fromKnown, raw.memory, raw.directories);
}

/** What `listing` held, as `known` for listing its directory again (see listDirectory). */
export function knownNamesOf(listing: DirectoryListing): Buffer {
  const namesBytes = listing.count === 0 ? 0 : listing.nameEnd(listing.count - 1);
  const known = Buffer.allocUnsafe(SELF_FIELDS * 8 + namesBytes + listing.count);
  for (let field = 0; field < SELF_FIELDS; field++) known.writeDoubleLE(listing.self[field]!, field * 8);
  let at = SELF_FIELDS * 8;
  for (let index = 0; index < listing.count; index++) {
    at += listing.names.copy(known, at, listing.nameStart(index), listing.nameEnd(index));
    known[at++] = 0;
  }
  return known;
}

/**
 * Starts listDirectory of each path on the addon's threads, as many as there are cores, and returns
 * at once: the caller works on while they list (the 500 directories of 1,000 files each of a clean
 * status listed in 360 ms instead of 630 on two cores, measured by hand). `finish` waits for them and
 * gives each listing, or the error listDirectory would have thrown, in its place.
 */
export function startListing(
  paths: readonly string[],
  known: readonly (Buffer | undefined)[] = [],
): { finish(): (DirectoryListing | NodeJS.ErrnoException)[] } {
  const handle = callNative(paths[0] ?? '', (addon) =>
    addon.startListing(
      paths.map(encodeName),
      paths.map((_, index) => known[index] ?? null),
    ),
  );
  return {
    finish: () =>
      callNative(paths[0] ?? '', (addon) => addon.finishListing(handle)).map((listing, index) =>
        'errno' in listing ? nativeError(listing.errno, listing.syscall, paths[index]!) : fromRaw(listing),
      ),
  };
}

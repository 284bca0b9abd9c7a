import { constants } from 'node:os';
import { lazyRequire } from './lazy-require.js';

/** The project's own addon (`native/`): what Node.js does not offer. */
export interface StoreNative {
  setTimesNs(path: Buffer, atimeNs: bigint, mtimeNs: bigint, followSymlinks: boolean): void;
  setFileTimesNs(fd: number, atimeNs: bigint, mtimeNs: bigint): void;
  listDirectory(path: Buffer, known?: Buffer | null): RawListing;
  startListing(paths: Buffer[], known?: (Buffer | null)[]): ListingHandle;
  finishListing(handle: ListingHandle): (RawListing | { errno: number; syscall: string })[];
  releaseListing(names: Buffer, fields: Float64Array, memory: ListingMemory | undefined): void;
  listingHolds(names: Buffer, fields: Float64Array, name: string): boolean;
  unchangedRun(staging: Buffer, stagingIndex: number, directory: Buffer, names: Buffer, fields: Float64Array, from: number): number;
  checkStagingEntries(staging: Buffer, from: number, to: number): number;
  fingerprintBytesInto(staging: Buffer, from: number, to: number, target: Buffer, next: Uint32Array): number;
  directoryRuns(staging: Buffer, from: number, to: number): Uint32Array;
  uncountMappedBytes(bytes: Buffer): void;
  externalMemoryCount(): number;
}

/** Directories being listed on the addon's threads (see startListing in native/store_native.c). */
export type ListingHandle = { readonly __listing: unique symbol };

/** The addon's own memory behind a listing's names and fields, freed by releaseListing (see native/store_native.c). */
export type ListingMemory = { readonly __listingMemory: unique symbol };

/**
 * A directory's names end to end and FIELDS numbers per name, the directory's own fstat (SELF_FIELDS
 * numbers) and whether known names served (see native/store_native.c). `names` and `fields` lie in
 * the addon's `memory` (undefined: copied, nothing to give back).
 */
export interface RawListing {
  names: Buffer;
  fields: Float64Array;
  self: Float64Array;
  fromKnown: boolean;
  memory: ListingMemory | undefined;
  /** How many of the names are directories (lstat succeeded). */
  directories: number;
}

// Built in place by the package's own install script (no dependency of its own, so that npm's
// allowScripts needs no entry for it); src/core, dist/core and dist/bundle all lie two levels down.
const native = lazyRequire<StoreNative>('../../native/index.cjs');
const errnoNames = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));

/** The name of an errno number (ENOENT, ...), as Node's errors carry it. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/**
 * Calls into the addon (loaded on first use). Its errors carry the errno number; they get Node's
 * `code` and the `path`, so callers handle them as they handle Node's own.
 */
export function callNative<T>(path: string, call: (addon: StoreNative) => T): T {
  try {
    return call(native());
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno !== undefined) Object.assign(error as object, { code: errnoName(errno), path });
    throw error;
  }
}

/** The error a failed call would have thrown (see callNative), from the errno it reported. */
export function nativeError(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  const code = errnoName(errno);
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { errno, code, syscall, path });
}

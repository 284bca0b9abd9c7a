import type { Blake3Hasher } from '@napi-rs/blake-hash';
import { lazyRequire } from './lazy-require.js';

type BlakeBinding = typeof import('@napi-rs/blake-hash');
const blakePackage = lazyRequire<BlakeBinding>('@napi-rs/blake-hash');
const linuxGnuBinding = lazyRequire<BlakeBinding>(`@napi-rs/blake-hash-linux-${process.arch}-gnu`);
let binding: BlakeBinding | undefined;

function blake(): BlakeBinding {
  return (binding ??= loadBlake());
}

/**
 * On glibc Linux, the platform binding itself: the package's loader first asks process.report
 * whether libc is musl, ~6 ms of every command that hashes. Anywhere else, or should that binding
 * not load (musl), the package's own loader.
 */
function loadBlake(): BlakeBinding {
  if (process.platform === 'linux') {
    try {
      return linuxGnuBinding();
    } catch {
      // not glibc: the package's loader finds the right binding
    }
  }
  return blakePackage();
}

/** Every id in the repository is a BLAKE3-256 digest: chunks, files (as `b3sum` prints), trees, commits. */
export const HASH_BYTES = 32;
export const HASH_HEX_LENGTH = HASH_BYTES * 2;
/** The shortest hex prefix accepted where a full id is expected. */
export const MIN_PREFIX_HEX_LENGTH = 8;

/**
 * BLAKE3 of `data`, as a Buffer: one call into the binding, its digest as a base64url string turned
 * back into bytes. A tree's Merkle root costs ~2 hashes an entry, most of 33-65 bytes, where the
 * calls cost more than the hashing: through a hasher (update, digest('hex'), reset) a 1% commit at
 * 500,000 files spent ~0.5 s hashing. `node bench/hash-digests.js`: a million hashes of 60 bytes in
 * 0.86 s against 1.7 s through a hasher, and a string, unlike the binding's Buffers, holds no native
 * memory (see digestOf).
 */
export function hashBytes(data: Buffer): Buffer {
  return Buffer.from(blake().blake3UrlSafeBase64(data), 'base64url');
}

/**
 * A hasher's digest as a Buffer of the JS heap. The binding's Buffers (`blake3()`, `digestBuffer()`)
 * hold native memory that only a finalizer frees, which a busy thread seldom runs: a million of them
 * kept ~330 MB, where the hex string kept nothing and was twice as fast (`node bench/hash-digests.js`).
 * Verifying a tree hashes every entry, so a checkout of many files made millions.
 */
export function digestOf(hasher: Blake3Hasher): Buffer {
  return Buffer.from(hasher.digest('hex'), 'hex');
}

export function newHasher(): Blake3Hasher {
  return new (blake().Blake3Hasher)();
}

const spareHashers: Blake3Hasher[] = [];

/**
 * Runs `use` with a hasher from a free list, reset and put back when it is done (when its promise
 * settles, for an async `use`). A hasher is a native object that V8 frees only when a collection
 * finds its wrapper dead, which a thread allocating little seldom runs: one new hasher per restored
 * file made checkout's peak RSS grow with the number of files (bench/scale.js, checkout step).
 */
export function withHasher<T>(use: (hasher: Blake3Hasher) => T): T {
  const hasher = spareHashers.pop() ?? newHasher();
  const release = (): void => {
    hasher.reset();
    spareHashers.push(hasher);
  };
  let result: T;
  try {
    result = use(hasher);
  } catch (error) {
    release();
    throw error;
  }
  if (result instanceof Promise) return result.finally(release) as T;
  release();
  return result;
}

export function isFullHexId(text: string): boolean {
  return text.length === HASH_HEX_LENGTH && /^[0-9a-f]+$/.test(text);
}

export function isHexPrefix(text: string): boolean {
  return text.length >= MIN_PREFIX_HEX_LENGTH && text.length <= HASH_HEX_LENGTH && /^[0-9a-f]+$/.test(text);
}

/**
 * The first and last ids that start with `prefix` (bytes, or hex digits, an odd number too): the ids
 * with it are those between the two, inclusive, so that a prefix becomes an index range scan in SQLite.
 */
export function idRangeOf(prefix: Buffer | string): { first: Buffer; last: Buffer } {
  if (typeof prefix === 'string') {
    return { first: Buffer.from(prefix.padEnd(HASH_HEX_LENGTH, '0'), 'hex'), last: Buffer.from(prefix.padEnd(HASH_HEX_LENGTH, 'f'), 'hex') };
  }
  // Bytes (a delta's base, at every read of one): no detour through hex.
  const first = Buffer.alloc(HASH_BYTES);
  const last = Buffer.alloc(HASH_BYTES, 0xff);
  prefix.copy(first);
  prefix.copy(last);
  return { first, last };
}

import { readFileSync } from 'node:fs';
import { CorruptionError, StoreError } from '../core/errors.js';
import { type ChunkingParameters, MAX_CHUNK_BYTES, MAX_DELTA_DEPTH, MAX_FRAME_TARGET_BYTES } from '../core/vocabulary.js';

export type { ChunkingParameters };

/**
 * Version of the on-disk format described in docs/FORMAT.md. Bumped on any incompatible change.
 * 2: a content of exactly one chunk has no file map. 3: file times without their paths (version 2 of
 * that blob). 4: names are bytes (not only UTF-8), times of directories and symlinks, and a modes blob
 * (permission bits, hard links). An older repository is read as it is and marked with this version by
 * the first writer (everything versions 1 to 3 wrote is valid version 4). 5: deltas (chains up to 8
 * deep). 6: chains up to 32 deep (MAX_DELTA_DEPTH), packs of version 2 (a compact footer), catalog
 * schema 4; a version 5 reader refuses all three. 7: packs of version 3 (a delta's base in the same
 * pack named by its place), which a version 6 reader would take for damage.
 */
export const FORMAT_VERSION = 7;

export interface RepositoryConfig {
  formatVersion: number;
  /** Fixed at init: changing them would cut the same content at other places and defeat dedup. */
  chunking: ChunkingParameters;
  compression: { algorithm: 'zstd'; level: number };
  /** Consecutive new chunks are compressed together up to about this many raw bytes per frame. */
  frameTargetBytes: number;
  /** A pack is sealed once it holds about this many stored bytes. */
  packTargetBytes: number;
  /** How many deltas deep a writer lets a chain grow (1 to MAX_DELTA_DEPTH); absent: MAX_DELTA_DEPTH. */
  deltaDepth?: number;
}

/**
 * FastCDC starts hashing only past the minimum size, so a higher minimum is cheaper: 32K:64K:256K
 * chunked 512 MiB of the bench tar in 255-275 ms against 440-584 ms for 16K:64K:256K, with the same
 * mean chunk size (69 KiB) and the same new bytes after the bench's insertions (1.19 MB).
 */
export const DEFAULT_CHUNKING: ChunkingParameters = { minBytes: 32 * 1024, avgBytes: 64 * 1024, maxBytes: 256 * 1024 };
export const DEFAULT_ZSTD_LEVEL = 3;
/**
 * 2 MiB frames: compressed with match tables sized for them, they cost less compression CPU than
 * 1 MiB frames at level 3's own tables, for the same stored size (`node bench/zstd-tables.js`).
 * Reading one chunk decompresses its whole frame.
 */
export const DEFAULT_FRAME_TARGET_BYTES = 2 * 1024 * 1024;

// fastcdc-wasm panics ("unreachable") below these lower bounds (measured). The upper bound on MAX
// is ours: a chunk is held whole in memory while it is hashed and compressed.
const FASTCDC_LOWEST_MIN = 64;
const FASTCDC_LOWEST_AVG = 256;
const FASTCDC_LOWEST_MAX = 1024;
const HIGHEST_MAX = MAX_CHUNK_BYTES;

export function defaultConfig(overrides: { chunking?: ChunkingParameters; zstdLevel?: number } = {}): RepositoryConfig {
  return {
    formatVersion: FORMAT_VERSION,
    chunking: overrides.chunking ?? DEFAULT_CHUNKING,
    compression: { algorithm: 'zstd', level: overrides.zstdLevel ?? DEFAULT_ZSTD_LEVEL },
    frameTargetBytes: DEFAULT_FRAME_TARGET_BYTES,
    packTargetBytes: 128 * 1024 * 1024,
  };
}

/** Parses `MIN:AVG:MAX`, each a byte count with an optional K or M suffix (binary units). */
export function parseChunkSizeSpec(spec: string): ChunkingParameters {
  const parts = spec.split(':');
  if (parts.length !== 3) {
    throw new StoreError('INVALID_ARGUMENT', `--chunk-size takes MIN:AVG:MAX (for example 32K:64K:256K), not "${spec}"`);
  }
  const [minBytes, avgBytes, maxBytes] = parts.map((part) => parseByteCount(part, spec)) as [number, number, number];
  const chunking = { minBytes, avgBytes, maxBytes };
  validateChunking(chunking);
  return chunking;
}

function parseByteCount(text: string, spec: string): number {
  const match = /^(\d+)([KkMm]?)$/.exec(text.trim());
  if (!match) throw new StoreError('INVALID_ARGUMENT', `--chunk-size: "${text}" in "${spec}" is not a byte count`);
  const unit = match[2]!.toUpperCase();
  const multiplier = unit === 'K' ? 1024 : unit === 'M' ? 1024 * 1024 : 1;
  return Number(match[1]) * multiplier;
}

export function validateChunking({ minBytes, avgBytes, maxBytes }: ChunkingParameters): void {
  if (!(minBytes < avgBytes && avgBytes < maxBytes)) {
    throw new StoreError('INVALID_ARGUMENT', `chunk sizes must satisfy MIN < AVG < MAX (got ${minBytes}:${avgBytes}:${maxBytes})`);
  }
  if (minBytes < FASTCDC_LOWEST_MIN || avgBytes < FASTCDC_LOWEST_AVG || maxBytes < FASTCDC_LOWEST_MAX || maxBytes > HIGHEST_MAX) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `chunk sizes need MIN >= ${FASTCDC_LOWEST_MIN}, AVG >= ${FASTCDC_LOWEST_AVG}, ${FASTCDC_LOWEST_MAX} <= MAX <= 64M`,
    );
  }
}

export function validateZstdLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new StoreError('INVALID_ARGUMENT', `zstd level must be an integer from 1 to 22 (got ${level})`);
  }
}

export function serializeConfig(config: RepositoryConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function readConfig(path: string): RepositoryConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CorruptionError('CORRUPT_CONFIG', `repository config ${path} is unreadable: ${(error as Error).message}`, { cause: error });
  }
  const config = parsed as Partial<RepositoryConfig>;
  if (typeof config.formatVersion !== 'number') {
    throw new CorruptionError('CORRUPT_CONFIG', `repository config ${path} has no formatVersion`);
  }
  if (config.formatVersion > FORMAT_VERSION) {
    throw new StoreError('UNSUPPORTED_FORMAT', `repository format version ${config.formatVersion} is newer than this store understands (${FORMAT_VERSION})`, {
      hint: 'upgrade store',
    });
  }
  const chunking = config.chunking;
  if (!chunking || !config.compression || typeof config.frameTargetBytes !== 'number' || typeof config.packTargetBytes !== 'number') {
    throw new CorruptionError('CORRUPT_CONFIG', `repository config ${path} is missing fields`);
  }
  const outOfRange = (what: string): never => {
    throw new CorruptionError('CORRUPT_CONFIG', `repository config ${path}: ${what} is out of range`);
  };
  if (!Number.isInteger(config.formatVersion) || config.formatVersion < 1) outOfRange('formatVersion');
  if (!Number.isInteger(config.frameTargetBytes) || config.frameTargetBytes < 1024 || config.frameTargetBytes > MAX_FRAME_TARGET_BYTES)
    outOfRange('frameTargetBytes');
  if (!Number.isInteger(config.packTargetBytes) || config.packTargetBytes < 1024 || config.packTargetBytes > 2 ** 40) outOfRange('packTargetBytes');
  if (config.deltaDepth !== undefined && (!Number.isInteger(config.deltaDepth) || config.deltaDepth < 1 || config.deltaDepth > MAX_DELTA_DEPTH))
    outOfRange('deltaDepth');
  if (config.compression.algorithm !== 'zstd' || !Number.isInteger(config.compression.level) || config.compression.level < 1 || config.compression.level > 22)
    outOfRange('compression');
  if (![chunking.minBytes, chunking.avgBytes, chunking.maxBytes].every(Number.isInteger)) outOfRange('chunking');
  try {
    validateChunking(chunking);
  } catch (error) {
    throw new CorruptionError('CORRUPT_CONFIG', `repository config ${path}: ${(error as Error).message}`);
  }
  return config as RepositoryConfig;
}

import { StoreError, CorruptionError } from '../core/errors.js';
import { isFullHexId, isHexPrefix, newHasher } from '../core/hash.js';
import type { FileMap } from '../objects/filemap.js';
import { EntryKind } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { BlobType } from '../store/pack-format.js';
import { loadCommit, loadFileMap, loadReferencedBlob } from './objects-io.js';
import { toRepoPath } from './paths.js';
import { resolveCommit } from './revisions.js';
import { findInTree } from './tree-walk.js';

export type GetTarget =
  | { kind: 'file'; fileId: Buffer; sizeBytes: number; path?: string; commitId?: string; entryKind?: EntryKind }
  | { kind: 'blob'; id: Buffer; type: BlobType; sizeBytes: number };

/** Inclusive byte range, as in HTTP's `Range: bytes=START-END`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What `store get SPEC` means: a path in a commit (HEAD unless `at` is given), or else a file id,
 * chunk id or other blob id, or a unique prefix of at least 8 hex digits of one.
 */
export function resolveGetTarget(repo: Repository, spec: string, options: { at?: string; cwd: string }): GetTarget {
  const looksLikeHash = isHexPrefix(spec.toLowerCase());
  if (options.at !== undefined || !looksLikeHash) return resolvePath(repo, spec, options.at, options.cwd);
  try {
    return resolvePath(repo, spec, undefined, options.cwd);
  } catch (error) {
    if (!(error instanceof StoreError) || !['PATH_NOT_FOUND', 'COMMIT_NOT_FOUND', 'PATH_OUTSIDE_REPOSITORY'].includes(error.code)) throw error;
  }
  return resolveHash(repo, spec.toLowerCase());
}

function resolvePath(repo: Repository, userPath: string, at: string | undefined, cwd: string): GetTarget {
  const path = toRepoPath(repo.workTree, cwd, userPath);
  const commitId = resolveCommit(repo, at ?? 'HEAD');
  const entry = path === '' ? undefined : findInTree(repo, Buffer.from(loadCommit(repo, commitId).treeId, 'hex'), path);
  if (entry === undefined) {
    throw new StoreError('PATH_NOT_FOUND', `${userPath} is not in commit ${commitId.slice(0, 12)}`);
  }
  if (entry.kind === EntryKind.Directory) {
    throw new StoreError('INVALID_ARGUMENT', `${userPath} is a directory in commit ${commitId.slice(0, 12)}; name a file`);
  }
  return { kind: 'file', fileId: entry.id, sizeBytes: entry.sizeBytes, path, commitId, entryKind: entry.kind };
}

function resolveHash(repo: Repository, hex: string): GetTarget {
  const { blobs, files } = isFullHexId(hex)
    ? exactMatches(repo, Buffer.from(hex, 'hex'))
    : repo.catalog.idsWithPrefix(hex);
  // A file id and its single chunk can be the same hash (a file of one chunk): that is one content.
  const fileKeys = new Set(files.map((id) => id.toString('hex')));
  const distinct = new Set([...fileKeys, ...blobs.map((blob) => blob.id.toString('hex'))]);
  if (distinct.size === 0) throw new StoreError('OBJECT_NOT_FOUND', `no file, chunk or object with id ${hex}`);
  if (distinct.size > 1) throw new StoreError('AMBIGUOUS_PREFIX', `${hex} is ambiguous: it matches ${distinct.size}+ ids; give more digits`);
  const fileId = files[0];
  if (fileId !== undefined) {
    return { kind: 'file', fileId, sizeBytes: repo.catalog.file(fileId)!.sizeBytes };
  }
  const blob = blobs[0]!;
  const location = repo.catalog.blobLocation(blob.id)!;
  return { kind: 'blob', id: blob.id, type: blob.type, sizeBytes: location.length };
}

function exactMatches(repo: Repository, id: Buffer): ReturnType<Repository['catalog']['idsWithPrefix']> {
  const location = repo.catalog.blobLocation(id);
  return {
    blobs: location ? [{ id, type: location.type }] : [],
    files: repo.catalog.file(id) ? [id] : [],
  };
}

export function parseRange(text: string, sizeBytes: number): ByteRange {
  const match = /^(\d+)-(\d*)$/.exec(text);
  if (!match) throw new StoreError('INVALID_ARGUMENT', `--range takes START-END (inclusive byte offsets) or START-, not "${text}"`);
  const start = Number(match[1]);
  const end = match[2] === '' ? sizeBytes - 1 : Math.min(Number(match[2]), sizeBytes - 1);
  if (start > end && !(sizeBytes === 0 && start === 0)) {
    throw new StoreError('INVALID_ARGUMENT', `--range ${text} is outside the content (${sizeBytes} bytes)`);
  }
  return { start, end };
}

/**
 * Streams a target's bytes to `write`, one verified chunk at a time (memory bounded by one frame),
 * then checks the whole content against the file id. With a range, only the chunks that cover it are read.
 */
export async function streamTarget(
  repo: Repository,
  target: GetTarget,
  write: (bytes: Buffer) => Promise<void>,
  range?: ByteRange,
): Promise<number> {
  if (target.kind === 'blob') {
    const bytes = loadReferencedBlob(repo, target.id, target.type, 'the command line');
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    await write(slice);
    return slice.length;
  }
  const map = loadFileMap(repo, target.fileId);
  return range ? streamRange(repo, map, range, write) : streamWhole(repo, map, write);
}

async function streamWhole(repo: Repository, map: FileMap, write: (bytes: Buffer) => Promise<void>): Promise<number> {
  const hasher = newHasher();
  for (const chunk of map.chunks) {
    const bytes = loadReferencedBlob(repo, chunk.id, BlobType.Chunk, `file ${map.fileId.toString('hex')}`);
    hasher.update(bytes);
    await write(bytes);
  }
  if (!hasher.digestBuffer().equals(map.fileId)) {
    throw new CorruptionError('CORRUPT_OBJECT', `file ${map.fileId.toString('hex')}: its chunks do not hash to its id (damaged file map)`);
  }
  return map.sizeBytes;
}

async function streamRange(repo: Repository, map: FileMap, range: ByteRange, write: (bytes: Buffer) => Promise<void>): Promise<number> {
  let chunkStart = 0;
  let written = 0;
  for (const chunk of map.chunks) {
    const chunkEnd = chunkStart + chunk.length; // exclusive
    if (chunkEnd > range.start && chunkStart <= range.end) {
      const bytes = loadReferencedBlob(repo, chunk.id, BlobType.Chunk, `file ${map.fileId.toString('hex')}`);
      const from = Math.max(range.start - chunkStart, 0);
      const to = Math.min(range.end + 1 - chunkStart, chunk.length);
      await write(bytes.subarray(from, to));
      written += to - from;
    }
    if (chunkStart > range.end) break;
    chunkStart = chunkEnd;
  }
  return written;
}

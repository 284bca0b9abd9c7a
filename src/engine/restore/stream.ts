import { CorruptionError, StoreError, errorFromData } from '../../core/errors.js';
import type { UnpackResult } from '../../workers/tasks.js';
import { defaultJobs, WorkerPool } from '../../workers/pool.js';
import { digestOf, isFullHexId, isHexPrefix, withHasher } from '../../core/hash.js';
import type { FileMap } from '../../objects/filemap.js';
import type { Repository } from '../../repository/repository.js';
import { borrowReferencedBlob, fileRecord, loadCommit, loadFileMap, loadReferencedBlob } from '../history/objects-io.js';
import { toRepoPath } from '../worktree/paths.js';
import { resolveCommit } from '../history/revisions.js';
import { findInTree } from '../history/tree-walk.js';
import { type BlobLocation, BlobType, EntryKind, framesIn } from '../../core/vocabulary.js';

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
  if (isFullHexId(hex)) return resolveFullId(repo, Buffer.from(hex, 'hex'));
  const { blobs, files } = repo.catalog.idsWithPrefix(hex);
  // A file id and its single chunk can be the same hash (a file of one chunk): that is one content.
  const distinct = new Set([...files, ...blobs.map((blob) => blob.id)].map((id) => id.toString('hex')));
  if (distinct.size === 0) throw new StoreError('OBJECT_NOT_FOUND', `no file, chunk or object with id ${hex}`);
  if (distinct.size > 1) throw new StoreError('AMBIGUOUS_PREFIX', `${hex} is ambiguous: it matches ${distinct.size}+ ids; give more digits`);
  return resolveFullId(repo, files[0] ?? blobs[0]!.id);
}

/** A whole id: a file content (a chunk counts as the content of one chunk), else another blob. */
function resolveFullId(repo: Repository, id: Buffer): GetTarget {
  const record = fileRecord(repo, id);
  if (record !== undefined) return { kind: 'file', fileId: id, sizeBytes: record.sizeBytes };
  const location = repo.catalog.blobLocation(id);
  if (location === undefined) throw new StoreError('OBJECT_NOT_FOUND', `no file, chunk or object with id ${id.toString('hex')}`);
  return { kind: 'blob', id, type: location.type, sizeBytes: location.length };
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
 * Streams a target's bytes to `write`, one verified chunk at a time (memory bounded by a few frames),
 * then checks the whole content against the file id. With a range, only the chunks that cover it are
 * read. `write` must be done with the bytes when its promise resolves: the buffer is reused.
 */
export async function streamTarget(
  repo: Repository,
  target: GetTarget,
  write: (bytes: Buffer) => Promise<void>,
  range?: ByteRange,
  pool?: WorkerPool,
): Promise<number> {
  if (target.kind === 'blob') {
    const bytes = borrowReferencedBlob(repo, target.id, target.type, 'the command line');
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    await write(slice);
    return slice.length;
  }
  const map = loadFileMap(repo, target.fileId);
  if (range) return streamRange(repo, map, range, write);
  await withHasher(async (hasher) => {
    const checkedWrite = (bytes: Buffer): Promise<void> => {
      hasher.update(bytes);
      return write(bytes);
    };
    if (pool && map.sizeBytes >= PARALLEL_UNPACK_MIN_BYTES) await streamUnpackedOnWorkers(repo, map, checkedWrite, pool);
    else {
      for (const chunk of map.chunks) await checkedWrite(borrowReferencedBlob(repo, chunk.id, BlobType.Chunk, `file ${map.fileId.toString('hex')}`));
    }
    if (!digestOf(hasher).equals(map.fileId)) {
      throw new CorruptionError('CORRUPT_OBJECT', `file ${map.fileId.toString('hex')}: its chunks do not hash to its id (damaged file map)`);
    }
  });
  return map.sizeBytes;
}

/**
 * `get`: streams a target to `write`. A whole large file is decompressed and verified on worker
 * threads while this thread writes (the engine alone decides on threads, and closes them).
 */
export async function streamGetTarget(repo: Repository, target: GetTarget, write: (bytes: Buffer) => Promise<void>, range?: ByteRange): Promise<number> {
  const pool = range === undefined && target.sizeBytes >= PARALLEL_UNPACK_MIN_BYTES ? await WorkerPool.start(defaultJobs()) : undefined;
  try {
    return await streamTarget(repo, target, write, range, pool);
  } finally {
    await pool?.close();
  }
}

/** Below this size a file is unpacked on this thread: handing frames to workers would cost more. */
export const PARALLEL_UNPACK_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads stored frames here and has the workers decompress them and verify the chunks, a few frames
 * ahead, while this thread writes what came back, in order. Memory: about two frames per thread.
 */
async function streamUnpackedOnWorkers(repo: Repository, map: FileMap, write: (bytes: Buffer) => Promise<void>, pool: WorkerPool): Promise<void> {
  const jobs = frameJobs(repo, map);
  const ahead = pool.threads * 2; // one frame ahead per thread was slower (2 GiB in 2 MiB frames: 3.2-3.3 s against 3.0-3.1 s)
  const frameCapacity = repo.config.frameTargetBytes + repo.config.chunking.maxBytes;
  const maxFramesWriting = framesIn(MAX_BYTES_WRITING, repo.config.frameTargetBytes);
  // Buffers travel to a worker and back, and are reused: nothing is allocated per frame.
  const spare: ArrayBuffer[] = [];
  const take = (bytes: number): Buffer => {
    const buffer = spare.pop();
    return Buffer.from(buffer !== undefined && buffer.byteLength >= bytes ? buffer : new ArrayBuffer(Math.max(bytes, frameCapacity)));
  };
  const inFlight: { job: FrameJob; result: Promise<UnpackResult> }[] = [];
  /** Reads the next job's frame and hands it to a worker; false when there is none left. */
  const submitNext = (): boolean => {
    const next = jobs.next();
    if (next.done) return false;
    const job = next.value;
    const stored = repo.packReader.readStoredFrameInto(job.location, take(job.location.frameStoredLength));
    const out = take(job.location.frameRawLength);
    const result = pool.unpackChunks({
      stored: new Uint8Array(stored.buffer, 0, stored.length),
      out: new Uint8Array(out.buffer),
      packName: job.location.packName,
      frameOffset: job.location.frameOffset,
      frameRawLength: job.location.frameRawLength,
      codec: job.location.codec,
      offsets: job.chunks.map((chunk) => chunk.offsetInFrame),
      lengths: job.chunks.map((chunk) => chunk.length),
      ids: Buffer.concat(job.chunks.map((chunk) => chunk.id)),
      dictionary: repo.packReader.baseOf(job.location),
    });
    inFlight.push({ job, result });
    return true;
  };
  // Writes of earlier frames may still be running (on the thread pool) while later ones are unpacked;
  // a frame's buffer is reused only once its writes are done.
  const writing: Promise<void>[] = [];
  let writeError: unknown;
  try {
    for (let i = 0; i < ahead && submitNext(); i++);
    while (inFlight.length > 0) {
      const { job, result: pending } = inFlight.shift()!;
      const result = await pending;
      if (result.error) throw errorFromData(result.error);
      if (writeError !== undefined) throw writeError;
      const raw = Buffer.from(result.out.buffer);
      const written = Promise.all(contiguousRuns(job.chunks).map((run) => write(raw.subarray(run.start, run.end))));
      spare.push(result.stored.buffer as ArrayBuffer);
      writing.push(
        written.then(
          () => void spare.push(result.out.buffer as ArrayBuffer),
          (error: unknown) => void (writeError ??= error),
        ),
      );
      if (writing.length > maxFramesWriting) await writing.shift();
      submitNext();
    }
    await Promise.all(writing);
    if (writeError !== undefined) throw writeError;
  } catch (error) {
    await Promise.allSettled([...inFlight.map((entry) => entry.result), ...writing]); // let the frames still out settle before the pool closes
    throw error;
  }
}

interface FrameJob {
  location: BlobLocation;
  chunks: { offsetInFrame: number; length: number; id: Buffer }[];
}

/**
 * The file's chunks as frames to unpack, consecutive chunks of one frame as one job. Made as the
 * restore goes, not all first (restoring a 4 GiB file peaked at 197 MB RSS with all of them made
 * first, 185 MB this way: bench/huge-file.js).
 */
function* frameJobs(repo: Repository, map: FileMap): Generator<FrameJob> {
  const owner = `file ${map.fileId.toString('hex')}`;
  let job: FrameJob | undefined;
  for (const chunk of map.chunks) {
    const location = repo.catalog.blobLocation(chunk.id);
    if (location === undefined || location.type !== BlobType.Chunk) loadReferencedBlob(repo, chunk.id, BlobType.Chunk, owner); // throws the precise error
    const entry = { offsetInFrame: location!.offsetInFrame, length: location!.length, id: chunk.id };
    if (job && job.location.packName === location!.packName && job.location.frameOffset === location!.frameOffset) {
      job.chunks.push(entry);
      continue;
    }
    if (job) yield job;
    job = { location: location!, chunks: [entry] };
  }
  if (job) yield job;
}

/**
 * Raw bytes of the frames whose writes may run at once: enough to keep the disk busy while the next
 * are unpacked. 2 GiB in 2 MiB frames: two frames writing restored as fast as four, with 5 MB less RSS.
 */
const MAX_BYTES_WRITING = 4 * 1024 * 1024;

/** Chunks that lie end to end in the frame become one write: 1 MiB writes cost far less than 64 KiB ones. */
function contiguousRuns(chunks: readonly { offsetInFrame: number; length: number }[]): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (const chunk of chunks) {
    const last = runs[runs.length - 1];
    if (last && last.end === chunk.offsetInFrame) last.end += chunk.length;
    else runs.push({ start: chunk.offsetInFrame, end: chunk.offsetInFrame + chunk.length });
  }
  return runs;
}

async function streamRange(repo: Repository, map: FileMap, range: ByteRange, write: (bytes: Buffer) => Promise<void>): Promise<number> {
  let chunkStart = 0;
  let written = 0;
  for (const chunk of map.chunks) {
    const chunkEnd = chunkStart + chunk.length; // exclusive
    if (chunkEnd > range.start && chunkStart <= range.end) {
      const bytes = borrowReferencedBlob(repo, chunk.id, BlobType.Chunk, `file ${map.fileId.toString('hex')}`);
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

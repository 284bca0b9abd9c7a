import { CorruptionError, StoreError } from '../../core/errors.js';
import { MAX_TREE_DEPTH } from '../../core/names.js';
import { decodeCommit, type Commit } from '../../objects/commit.js';
import { decodeFileMap, type FileMap } from '../../objects/filemap.js';
import { decodeFileModes, FileModesReader, type RecordedModes } from '../../objects/file-modes.js';
import { decodeFileTimes, FileTimesReader, treePathsOf, type RecordedTimes } from '../../objects/file-times.js';
import { decodeVerifiedTree, type TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import { BlobType, type BlobLocation } from '../../core/vocabulary.js';

/** Reads a blob that something the repository holds refers to: its absence is damage, not a user error. */
export function loadReferencedBlob(repo: Repository, id: Buffer, type: BlobType, referrer: string): Buffer {
  return repo.packReader.readBlob(locateReferencedBlob(repo, id, type, referrer));
}

/**
 * `loadReferencedBlob` without a copy: the bytes are valid until the next read from the repository,
 * for a caller that uses them at once (restores stream chunks this way).
 */
export function borrowReferencedBlob(repo: Repository, id: Buffer, type: BlobType, referrer: string): Buffer {
  return repo.packReader.borrowBlob(locateReferencedBlob(repo, id, type, referrer));
}

/** Where such a blob lies, for a reader elsewhere (a worker thread reads it from there). */
export function locateReferencedBlob(repo: Repository, id: Buffer, type: BlobType, referrer: string): BlobLocation {
  const location = repo.catalog.blobLocation(id);
  if (location === undefined) {
    throw new CorruptionError('CORRUPT_OBJECT', `${BlobType[type]} ${id.toString('hex')} referenced by ${referrer} is missing from the catalog`);
  }
  if (location.type !== type) {
    throw new CorruptionError('CORRUPT_OBJECT', `${id.toString('hex')} is a ${BlobType[location.type]}, expected a ${BlobType[type]}`);
  }
  return location;
}

export function loadCommit(repo: Repository, commitId: string): Commit {
  return decodeCommit(loadReferencedBlob(repo, Buffer.from(commitId, 'hex'), BlobType.Commit, 'a ref'));
}

/**
 * The root tree of a commit, from the catalog's row when it has one: reading the commit blob means
 * decompressing a whole frame (~2 MiB) for 32 bytes. The catalog is written in the transaction that
 * indexes the commit's pack, and rebuilt from the packs by repair.
 */
export function commitTreeId(repo: Repository, commitId: string): Buffer {
  return repo.catalog.commit(Buffer.from(commitId, 'hex'))?.treeId ?? Buffer.from(loadCommit(repo, commitId).treeId, 'hex');
}

/**
 * A tree's bytes, verified against its id but not decoded (their names unchecked: for a caller that
 * reads them in place). `depth`: how many trees lie above this one (0 for a commit's root): past
 * MAX_TREE_DEPTH the tree is refused.
 */
export function loadTreeBytes(repo: Repository, treeId: Buffer, depth: number): Buffer {
  if (depth > MAX_TREE_DEPTH)
    throw new CorruptionError('CORRUPT_OBJECT', `tree ${treeId.toString('hex')} lies ${depth} levels deep, deeper than any path can reach (${MAX_TREE_DEPTH})`);
  // loadReferencedBlob checks the bytes against treeId (their Merkle root): no second hashing.
  return loadReferencedBlob(repo, treeId, BlobType.Tree, 'a commit or tree');
}

/** `depth`: see loadTreeBytes. */
export function loadTree(repo: Repository, treeId: Buffer, depth = 0): TreeEntry[] {
  return loadTreeWithBytes(repo, treeId, depth).entries;
}

/** loadTree, with the tree's bytes (verified against its id) for a caller that stores something against them. */
export function loadTreeWithBytes(repo: Repository, treeId: Buffer, depth = 0): { entries: TreeEntry[]; bytes: Buffer } {
  const bytes = loadTreeBytes(repo, treeId, depth);
  try {
    return { entries: decodeVerifiedTree(bytes), bytes };
  } catch (error) {
    // A tree that hashes right but breaks the rules was made so: name it.
    if (error instanceof CorruptionError)
      throw new CorruptionError('CORRUPT_OBJECT', `${error.message.replace(/^tree: /, `tree ${treeId.toString('hex')}: `)}`);
    throw error;
  }
}

/** What a commit records beside its trees: times, permission bits and hard links (empty where it recorded none). */
export interface CommitMetadata {
  times: RecordedTimes;
  modes: RecordedModes;
}

/** `filePaths`: the files of the commit's tree. */
export function loadCommitMetadata(repo: Repository, commit: Commit, filePaths: Iterable<string>): CommitMetadata {
  const paths = treePathsOf(filePaths);
  return {
    times:
      commit.timesId === undefined
        ? { files: new Map(), directories: new Map() }
        : decodeFileTimes(loadReferencedBlob(repo, Buffer.from(commit.timesId, 'hex'), BlobType.FileTimes, 'a commit'), paths),
    modes:
      commit.modesId === undefined
        ? { files: new Map(), directories: new Map() }
        : decodeFileModes(loadReferencedBlob(repo, Buffer.from(commit.modesId, 'hex'), BlobType.FileModes, 'a commit'), paths),
  };
}

/**
 * How the repository holds a file content: through a FileMap blob (indexed in the catalog's files
 * table), or, for a content of exactly one chunk, as that chunk alone, whose id is the file id
 * (format 2: no file map, no files row). Undefined when it holds neither.
 */
export interface FileRecord {
  sizeBytes: number;
  /** Undefined for a one-chunk content. */
  filemapId: Buffer | undefined;
}

export function fileRecord(repo: Repository, fileId: Buffer): FileRecord | undefined {
  const row = repo.catalog.file(fileId);
  if (row !== undefined) return { sizeBytes: row.sizeBytes, filemapId: row.filemapId };
  const chunk = repo.catalog.blobLocation(fileId);
  return chunk?.type === BlobType.Chunk ? { sizeBytes: chunk.length, filemapId: undefined } : undefined;
}

/**
 * The chunk list of a file content: read (and verified) from its FileMap blob, or its one chunk.
 * Callers that already looked up the content's record pass it, rather than look it up again.
 */
export function loadFileMap(repo: Repository, fileId: Buffer, record = fileRecord(repo, fileId)): FileMap {
  if (record === undefined) {
    throw new StoreError('OBJECT_NOT_FOUND', `no file with id ${fileId.toString('hex')} in this repository`);
  }
  if (record.filemapId === undefined) return { fileId, sizeBytes: record.sizeBytes, chunks: [{ id: fileId, length: record.sizeBytes }] };
  const map = decodeFileMap(loadReferencedBlob(repo, record.filemapId, BlobType.FileMap, `file ${fileId.toString('hex')}`));
  if (!map.fileId.equals(fileId)) throw new CorruptionError('CORRUPT_CATALOG', `file ${fileId.toString('hex')} points at the file map of another file`);
  return map;
}

/** A commit's times and modes read by position, for a walk of its tree in path byte order (none where it recorded none). */
export interface CommitMetadataReader {
  times?: FileTimesReader;
  modes?: FileModesReader;
}

export function openCommitMetadata(repo: Repository, commit: Commit): CommitMetadataReader {
  return {
    times:
      commit.timesId === undefined
        ? undefined
        : new FileTimesReader(loadReferencedBlob(repo, Buffer.from(commit.timesId, 'hex'), BlobType.FileTimes, 'a commit')),
    modes:
      commit.modesId === undefined
        ? undefined
        : new FileModesReader(loadReferencedBlob(repo, Buffer.from(commit.modesId, 'hex'), BlobType.FileModes, 'a commit')),
  };
}

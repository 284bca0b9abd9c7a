/** The repository's own directory in a work tree: never part of what is stored or restored. */
export const REPOSITORY_DIRECTORY = '.store';

/**
 * Why `name` cannot be one entry of a directory in a repository, or undefined when it can: empty, `.`
 * or `..`, holding `/` or NUL, or the repository's own directory in any letter case (a checkout would
 * write into the repository itself, on a case-insensitive file system too; git refuses `.git` alike).
 * A tree or staging area that holds such a name came from somewhere hostile or damaged.
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'an empty name';
  if (name === '.' || name === '..') return `the name '${name}'`;
  if (name.includes('/')) return 'a name holding /';
  if (name.includes('\0')) return 'a name holding NUL';
  if (name.length === REPOSITORY_DIRECTORY.length && name.toLowerCase() === REPOSITORY_DIRECTORY) return `the name '${name}' (the repository's own directory)`;
  return undefined;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const REPOSITORY_DIRECTORY_BYTES = Buffer.from(REPOSITORY_DIRECTORY, 'ascii');

/**
 * Whether pathProblem has anything to say of the path whose bytes are `bytes[start, end)`, read in place: a staging area of
 * 500,000 paths is checked without decoding one (its decode and regular expression were most of the
 * ~100 ms it took to open, measured by hand). The problems are all ASCII, so bytes tell them.
 */
export function hasPathProblemAt(bytes: Uint8Array, start: number, end: number): boolean {
  let nameStart = start;
  for (let at = start; at <= end; at++) {
    const byte = at < end ? bytes[at]! : SLASH;
    if (byte === 0) return true;
    if (byte !== SLASH) continue;
    const length = at - nameStart;
    if (length === 0) return true;
    if (length <= 2 && bytes[nameStart] === DOT && (length === 1 || bytes[nameStart + 1] === DOT)) return true;
    if (length === REPOSITORY_DIRECTORY_BYTES.length && isRepositoryDirectory(bytes, nameStart)) return true;
    nameStart = at + 1;
  }
  return false;
}

function isRepositoryDirectory(bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < REPOSITORY_DIRECTORY_BYTES.length; i++) {
    const byte = bytes[start + i]!;
    const lower = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte; // ASCII letters only, as toLowerCase of '.store' can match
    if (lower !== REPOSITORY_DIRECTORY_BYTES[i]) return false;
  }
  return true;
}

/** Why a '/'-separated relative path cannot be stored or restored (see nameProblem), or undefined. */
export function pathProblem(path: string): string | undefined {
  let start = 0;
  for (;;) {
    const slash = path.indexOf('/', start);
    const problem = nameProblem(path.slice(start, slash < 0 ? path.length : slash));
    if (problem !== undefined) return problem;
    if (slash < 0) return undefined;
    start = slash + 1;
  }
}

/** A path's bytes at most (Linux's PATH_MAX): store reads and writes work-tree files by whole paths. */
export const MAX_PATH_BYTES = 4096;

/**
 * How deep trees may nest. A path is at most 4,096 bytes (PATH_MAX: store reads and writes work-tree
 * files by whole paths), and each level adds at least two ('x/'), so no honest tree is deeper; a
 * deeper one is crafted, and refusing it keeps every recursive walk within the stack.
 */
export const MAX_TREE_DEPTH = 2048;

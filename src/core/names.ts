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

/**
 * Whether `pathProblem` has anything to say, in one pass of a regular expression (an empty, `.` or `..`
 * component, a NUL, or `.store` in any case): the staging area checks every path it reads, and
 * splitting 12,000 paths into names cost several milliseconds of every status.
 */
const PATH_PROBLEM = /(?:^|\/)\.{0,2}(?:\/|$)|\0|(?:^|\/)\.store(?:\/|$)/i;

export function hasPathProblem(path: string): boolean {
  return PATH_PROBLEM.test(path);
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

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { StoreError } from '../../core/errors.js';
import { REPOSITORY_DIRECTORY } from '../../repository/layout.js';

/** A user's path (relative to `cwd`) as a work-tree path: '/'-separated, '' for the root. */
export function toRepoPath(workTree: string, cwd: string, userPath: string): string {
  const absolute = resolve(cwd, userPath);
  const rel = relative(workTree, absolute);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new StoreError('PATH_OUTSIDE_REPOSITORY', `${userPath} is outside the repository at ${workTree}`);
  }
  const path = rel.split(sep).join('/');
  if (path === REPOSITORY_DIRECTORY || path.startsWith(`${REPOSITORY_DIRECTORY}/`)) {
    throw new StoreError('INVALID_ARGUMENT', `${userPath} is inside the repository's own ${REPOSITORY_DIRECTORY}/ directory`);
  }
  return path;
}

export function isWithin(path: string, scope: string): boolean {
  return scope === '' || path === scope || path.startsWith(`${scope}/`);
}

/** The directories leading to a repository path, outermost first: `a`, `a/b` for `a/b/c`. */
export function* ancestorsOf(path: string): Generator<string> {
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) yield path.slice(0, slash);
}

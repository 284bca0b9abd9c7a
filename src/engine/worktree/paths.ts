import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { StoreError } from '../../core/errors.js';
import { quotePath } from '../../core/path-bytes.js';
import { REPOSITORY_DIRECTORY } from '../../repository/layout.js';

/** A user's path (relative to `cwd`) as a work-tree path: '/'-separated, '' for the root. */
export function toRepoPath(workTree: string, cwd: string, userPath: string): string {
  const absolute = resolve(cwd, userPath);
  const rel = relative(workTree, absolute);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
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

/**
 * Work-tree paths as a person in `cwd` names them (git's status in a subdirectory): `../a` from
 * `sub/`, so that a path copied from the output works as an argument there. A directory keeps its
 * trailing '/'. From outside the work tree (--repo), paths stay as they are.
 */
export function relativeToCwd(workTree: string, cwd: string): (path: string) => string {
  const here = relative(workTree, resolve(cwd)).split(sep).join('/');
  if (here === '' || here === '..' || here.startsWith('../') || isAbsolute(here)) return (path) => path;
  return (path) => {
    const shown = posix.relative(here, path);
    if (shown === '') return './';
    return path.endsWith('/') ? `${shown}/` : shown;
  };
}

/** Paths for an error message, one a line, quoted, the first `shown` of them and how many more. */
export function pathList(paths: readonly string[], shown = 20): string {
  const more = paths.length > shown ? `\n    ... and ${paths.length - shown} more` : '';
  return `${paths
    .slice(0, shown)
    .map((path) => `\n    ${quotePath(path)}`)
    .join('')}${more}`;
}

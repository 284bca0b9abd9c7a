import { rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { ancestorsOf } from './paths.js';
import { LeadingDirectories } from './leading-directories.js';
import { fsPath } from '../../core/path-bytes.js';

/**
 * Removes a tracked file from the work tree (one already gone is fine), and then the directories it
 * leaves empty, up to the work tree, as git does. A path beyond a symlink is not in the work tree:
 * nothing is removed through it (it would remove a file wherever the link points).
 */
export function removeTrackedFile(workTree: string, path: string): void {
  if (new LeadingDirectories(workTree).firstNotReal(path) !== undefined) return;
  rmSync(fsPath(join(workTree, path)), { force: true });
  for (const directory of [...ancestorsOf(path)].reverse()) {
    try {
      rmdirSync(fsPath(join(workTree, directory)));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') return; // not empty: neither are its parents
    }
  }
}

import { lstatSync } from 'node:fs';
import { errnoCode } from '../../core/errors.js';
import { ancestorsOf } from './paths.js';
import { workTreePath } from './scanner.js';
import { fsPath } from '../../core/path-bytes.js';

type Found = 'directory' | 'missing' | 'symlink' | 'file';

/**
 * What the directories leading to a work-tree path are. A path under a symlink is not in the work
 * tree, as in git: an lstat of `d/f` would follow a symlink `d` to wherever it points (or fail with
 * ELOOP), and a file written there would land outside. Answers are kept per directory: make one per
 * command, and none across changes to the work tree.
 */
export class LeadingDirectories {
  private readonly known = new Map<string, Found>();

  constructor(private readonly workTree: string) {}

  /** The first directory on the way to `path` that is missing, a symlink or not a directory. */
  firstNotReal(path: string): string | undefined {
    return this.first(path, (found) => found !== 'directory');
  }

  /** The first directory on the way to `path` that exists but is a symlink or a file: it is in the way of writing there. */
  firstInTheWay(path: string): { path: string; isSymlink: boolean } | undefined {
    const directory = this.first(path, (found) => found === 'symlink' || found === 'file');
    return directory === undefined ? undefined : { path: directory, isSymlink: this.find(directory) === 'symlink' };
  }

  private first(path: string, matches: (found: Found) => boolean): string | undefined {
    for (const directory of ancestorsOf(path)) {
      const found = this.find(directory);
      if (matches(found)) return directory;
      if (found === 'missing') return undefined; // nothing exists below a missing directory
    }
    return undefined;
  }

  private find(directory: string): Found {
    let found = this.known.get(directory);
    if (found === undefined) {
      try {
        const stats = lstatSync(fsPath(workTreePath(this.workTree, directory)));
        found = stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'file';
      } catch (error) {
        if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(error) ?? '')) throw error;
        found = 'missing';
      }
      this.known.set(directory, found);
    }
    return found;
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { errnoCode } from '../../core/errors.js';
import { fsPath } from '../../core/path-bytes.js';

export const IGNORE_FILE = '.storeignore';

interface Level {
  /** Directory (relative to the work tree, '' for the root) whose .storeignore this is. */
  base: string;
  matcher: Ignore;
}

/**
 * gitignore semantics across nested `.storeignore` files: a deeper file's rules win over a
 * shallower one's, negations re-include, and a pattern with a trailing slash matches directories only.
 */
export class IgnoreRules {
  private constructor(private readonly levels: readonly Level[]) {}

  static empty(): IgnoreRules {
    return new IgnoreRules([]);
  }

  /** The rules that apply inside `directory`, adding its own .storeignore if it has one. */
  enter(workTree: string, directory: string): IgnoreRules {
    let text: string;
    try {
      text = readFileSync(fsPath(join(workTree, directory, IGNORE_FILE)), 'utf8');
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return this;
      throw error;
    }
    return new IgnoreRules([...this.levels, { base: directory, matcher: ignore().add(text) }]);
  }

  isIgnored(path: string, isDirectory: boolean): boolean {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const level = this.levels[i]!;
      const relative = level.base === '' ? path : path.slice(level.base.length + 1);
      const result = level.matcher.test(isDirectory ? `${relative}/` : relative);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }
}

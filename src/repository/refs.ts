import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { isFullHexId } from '../core/hash.js';
import type { RepositoryLayout } from './layout.js';

export const DEFAULT_BRANCH = 'main';
const SYMBOLIC_PREFIX = 'ref: ';

/** HEAD names a branch (`ref: refs/heads/main`); a branch file holds a commit id. Both are replaced atomically. */
export class Refs {
  constructor(private readonly layout: RepositoryLayout) {}

  initialize(): void {
    mkdirSync(join(this.layout.refs, 'heads'), { recursive: true });
    writeFileAtomic(this.layout.head, `${SYMBOLIC_PREFIX}refs/heads/${DEFAULT_BRANCH}\n`);
  }

  /** The ref HEAD points at, for example `refs/heads/main`. */
  headRef(): string {
    const text = readFileSync(this.layout.head, 'utf8').trim();
    if (!text.startsWith(SYMBOLIC_PREFIX)) throw new StoreError('CORRUPT_CONFIG', `HEAD is malformed: "${text}"`);
    return text.slice(SYMBOLIC_PREFIX.length);
  }

  currentBranch(): string {
    return this.headRef().replace(/^refs\/heads\//, '');
  }

  /** The commit HEAD's branch points at, or undefined before the first commit. */
  headCommit(): string | undefined {
    return this.read(this.headRef());
  }

  read(ref: string): string | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.layout.storeDirectory, ref), 'utf8').trim();
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    if (!isFullHexId(text)) throw new StoreError('CORRUPT_CONFIG', `ref ${ref} is malformed: "${text}"`);
    return text;
  }

  /** Branch names, from the files under refs/heads. */
  branches(): string[] {
    const root = join(this.layout.refs, 'heads');
    const names: string[] = [];
    const walk = (directory: string, prefix: string): void => {
      let entries;
      try {
        entries = readdirSync(directory, { withFileTypes: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue; // temporary files of atomic writes
        if (entry.isDirectory()) walk(join(directory, entry.name), `${prefix}${entry.name}/`);
        else names.push(`${prefix}${entry.name}`);
      }
    };
    walk(root, '');
    return names.sort();
  }

  update(ref: string, commitId: string): void {
    const path = join(this.layout.storeDirectory, ref);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, `${commitId}\n`);
  }
}

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { fsyncDirectory, makeDirectories, writeFileAtomic } from '../core/fs-atomic.js';
import { isFullHexId } from '../core/hash.js';
import type { RepositoryLayout } from './layout.js';

export const DEFAULT_BRANCH = 'main';

/** Branch and tag names: path-like, no '..', no leading '-' or '.', nothing git would refuse. */
export function isValidRefName(name: string): boolean {
  return (
    name !== 'HEAD' &&
    /^[A-Za-z0-9_][A-Za-z0-9._\-/]*$/.test(name) &&
    !name.includes('..') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.includes('//')
  );
}
const SYMBOLIC_PREFIX = 'ref: ';

/** HEAD names a branch (`ref: refs/heads/main`); a branch file holds a commit id. Both are replaced atomically. */
/** headRef() on a detached HEAD: the HEAD file itself holds the commit id. */
export const DETACHED = 'HEAD';

export class Refs {
  constructor(private readonly layout: RepositoryLayout) {}

  initialize(): void {
    makeDirectories(join(this.layout.refs, 'heads'), this.layout.directoryMode);
    writeFileAtomic(this.layout.head, `${SYMBOLIC_PREFIX}refs/heads/${DEFAULT_BRANCH}\n`, { mode: this.layout.fileMode });
  }

  /**
   * The ref HEAD points at, for example `refs/heads/main`; on a detached HEAD (the file holds a commit
   * id, as git's does), `HEAD` itself: reading and updating that ref reads and moves HEAD alone.
   */
  headRef(): string {
    const text = readFileSync(this.layout.head, 'utf8').replace(/\n$/, '');
    if (isFullHexId(text)) return DETACHED;
    // Exactly one line naming a valid branch: anything else (say, text appended to the file) is damage,
    // not a branch name to create on the next commit.
    const branch = text.startsWith(`${SYMBOLIC_PREFIX}refs/heads/`) ? text.slice(`${SYMBOLIC_PREFIX}refs/heads/`.length) : undefined;
    if (branch === undefined || !isValidRefName(branch)) throw new StoreError('CORRUPT_CONFIG', `HEAD is malformed: ${JSON.stringify(text)}`);
    return `refs/heads/${branch}`;
  }

  /** The branch HEAD is on; undefined on a detached HEAD. */
  currentBranch(): string | undefined {
    const ref = this.headRef();
    return ref === DETACHED ? undefined : ref.slice('refs/heads/'.length);
  }

  /** The branch HEAD is on, for a command that needs one (push, pull): a detached HEAD is an error naming it. */
  requireBranch(what: string): string {
    const branch = this.currentBranch();
    if (branch === undefined) {
      throw new StoreError('INVALID_ARGUMENT', `HEAD is detached (at ${this.headCommit()?.slice(0, 12)}): ${what} needs a branch`, {
        hint: 'name the branch, or `store switch BRANCH` (or `store switch -c NAME` to keep commits made here)',
      });
    }
    return branch;
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
    return this.namesUnder('heads');
  }

  tags(): string[] {
    return this.namesUnder('tags');
  }

  /** Branches of a remote as last fetched or pushed (`refs/remotes/REMOTE/BRANCH`). */
  remoteBranches(remote: string): string[] {
    return this.namesUnder(`remotes/${remote}`);
  }

  /** Every remote-tracking ref, as `REMOTE/BRANCH`. */
  remoteTrackingNames(): string[] {
    return this.namesUnder('remotes');
  }

  /** The commit of every branch, tag and remote-tracking ref: the roots of everything a repository keeps. */
  rootCommits(): string[] {
    const refs = [
      ...this.branches().map((name) => `refs/heads/${name}`),
      ...this.tags().map((name) => `refs/tags/${name}`),
      ...this.remoteTrackingNames().map((name) => `refs/remotes/${name}`),
    ];
    // A detached HEAD keeps its commit (and what leads to it) as a branch would.
    if (this.headRef() === DETACHED) refs.push(DETACHED);
    return refs.map((ref) => this.read(ref)).filter((id): id is string => id !== undefined);
  }

  /** Removes a ref file (a branch or tag). */
  delete(ref: string): void {
    rmSync(join(this.layout.storeDirectory, ref));
    fsyncDirectory(dirname(join(this.layout.storeDirectory, ref)));
  }

  /** Points HEAD at another branch (atomically). */
  setHeadBranch(branch: string): void {
    writeFileAtomic(this.layout.head, `${SYMBOLIC_PREFIX}refs/heads/${branch}\n`, { mode: this.layout.fileMode });
  }

  /** Detaches HEAD at a commit (git's `switch --detach`): commits made then move HEAD alone. */
  detachHead(commitId: string): void {
    writeFileAtomic(this.layout.head, `${commitId}\n`, { mode: this.layout.fileMode });
  }

  private namesUnder(kind: string): string[] {
    const root = join(this.layout.refs, kind);
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
    makeDirectories(dirname(path), this.layout.directoryMode);
    writeFileAtomic(path, `${commitId}\n`, { mode: this.layout.fileMode });
  }
}

import { StoreError } from '../core/errors.js';
import { isValidRefName } from '../repository/refs.js';
import type { Repository } from '../repository/repository.js';
import { resolveCommit } from './revisions.js';

export type RefKind = 'branch' | 'tag';

const DIRECTORY: Record<RefKind, string> = { branch: 'refs/heads', tag: 'refs/tags' };

/** Creates a branch or tag at a revision (default HEAD), as the only writer. */
export async function createRef(repo: Repository, kind: RefKind, name: string, revision = 'HEAD'): Promise<string> {
  if (!isValidRefName(name)) throw new StoreError('INVALID_ARGUMENT', `'${name}' is not a valid ${kind} name`);
  const ref = `${DIRECTORY[kind]}/${name}`;
  return repo.withWriteLock(() => {
    if (repo.refs.read(ref) !== undefined) throw new StoreError('REF_EXISTS', `a ${kind} named '${name}' already exists`);
    const commitId = resolveCommit(repo, revision);
    repo.refs.update(ref, commitId);
    return commitId;
  });
}

/** Deletes a branch (never the current one) or a tag. */
export async function deleteRef(repo: Repository, kind: RefKind, name: string): Promise<void> {
  if (!isValidRefName(name)) throw new StoreError('INVALID_ARGUMENT', `'${name}' is not a valid ${kind} name`);
  const ref = `${DIRECTORY[kind]}/${name}`;
  await repo.withWriteLock(() => {
    if (kind === 'branch' && name === repo.refs.currentBranch()) throw new StoreError('INVALID_ARGUMENT', `cannot delete the current branch '${name}'`);
    if (repo.refs.read(ref) === undefined) throw new StoreError('COMMIT_NOT_FOUND', `no ${kind} named '${name}'`);
    repo.refs.delete(ref);
  });
}

import { StoreError } from '../core/errors.js';
import { isValidRefName } from '../repository/refs.js';
import type { Repository } from '../repository/repository.js';
import { loadCommit } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';

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

/**
 * Deletes a branch (never the current one) or a tag. A branch whose commits HEAD's history does not
 * hold is kept unless `force` (git's -d and -D): once deleted, gc may free them.
 */
export async function deleteRef(repo: Repository, kind: RefKind, name: string, options: { force?: boolean } = {}): Promise<void> {
  if (!isValidRefName(name)) throw new StoreError('INVALID_ARGUMENT', `'${name}' is not a valid ${kind} name`);
  const ref = `${DIRECTORY[kind]}/${name}`;
  await repo.withWriteLock(() => {
    if (kind === 'branch' && name === repo.refs.currentBranch()) throw new StoreError('INVALID_ARGUMENT', `cannot delete the current branch '${name}'`);
    const tip = repo.refs.read(ref);
    if (tip === undefined) throw new StoreError('COMMIT_NOT_FOUND', `no ${kind} named '${name}'`);
    if (kind === 'branch' && !options.force && !isInHeadHistory(repo, tip)) {
      throw new StoreError('NOT_MERGED', `branch '${name}' has commits that HEAD's history does not hold`, {
        hint: `to delete it anyway, run \`store branch -D ${name}\``,
      });
    }
    repo.refs.delete(ref);
  });
}

/** Whether the commit is HEAD or one of its ancestors (commits have one parent: history is a chain). */
function isInHeadHistory(repo: Repository, commitId: string): boolean {
  for (let id = repo.refs.headCommit(); id !== undefined; id = loadCommit(repo, id).parentId) if (id === commitId) return true;
  return false;
}

import type { Repository } from '../../repository/repository.js';

/**
 * Whether `ancestor` is `commitId` or one of its ancestors, by the parents the catalog records (no
 * object read). A commit this repository does not have is no ancestor: a push or pull that would
 * need it is refused until a fetch brings it.
 */
export function isAncestor(repo: Repository, ancestor: string, commitId: string): boolean {
  let current: string | undefined = commitId;
  while (current !== undefined) {
    if (current === ancestor) return true;
    current = repo.catalog.commit(Buffer.from(current, 'hex'))?.parentId?.toString('hex');
  }
  return false;
}

import { StoreError } from '../../core/errors.js';
import { isFullHexId, isHexPrefix } from '../../core/hash.js';
import { isValidRefName } from '../../repository/refs.js';
import type { Repository } from '../../repository/repository.js';
import { loadCommit } from './objects-io.js';
import { BlobType } from '../../core/vocabulary.js';

/**
 * Resolves a revision to a commit id: `HEAD`, a branch, tag or remote-tracking name (`origin/main`), a commit id or a unique prefix of at
 * least 8 hex digits, each optionally followed by `~N` (N parents back).
 */
export function resolveCommit(repo: Repository, revision = 'HEAD'): string {
  const match = /^(.*?)(?:~(\d*))?$/.exec(revision)!;
  const base = match[1]!;
  const generations = match[2] === undefined ? 0 : match[2] === '' ? 1 : Number(match[2]);
  let commitId = resolveBase(repo, base);
  for (let i = 0; i < generations; i++) {
    const parent = loadCommit(repo, commitId).parentId;
    if (parent === undefined) throw new StoreError('COMMIT_NOT_FOUND', `${revision}: history is only ${i} commit(s) deep`);
    commitId = parent;
  }
  return commitId;
}

function resolveBase(repo: Repository, base: string): string {
  if (base === 'HEAD' || base === '') {
    const head = repo.refs.headCommit();
    if (head === undefined) {
      throw new StoreError('COMMIT_NOT_FOUND', `branch ${repo.refs.currentBranch()} has no commits yet`, { hint: 'run `store commit -m MESSAGE` first' });
    }
    return head;
  }
  if (isValidRefName(base)) {
    const named = repo.refs.read(`refs/heads/${base}`) ?? repo.refs.read(`refs/tags/${base}`) ?? repo.refs.read(`refs/remotes/${base}`);
    if (named !== undefined) return named;
  }
  const lower = base.toLowerCase();
  if (isFullHexId(lower) && repo.catalog.commit(Buffer.from(lower, 'hex'))) return lower;
  if (isHexPrefix(lower)) {
    const commits = repo.catalog.idsWithPrefix(lower).blobs.filter((blob) => blob.type === BlobType.Commit);
    if (commits.length === 1) return commits[0]!.id.toString('hex');
    if (commits.length > 1) throw new StoreError('AMBIGUOUS_PREFIX', `commit prefix ${base} is ambiguous`);
  }
  throw new StoreError('COMMIT_NOT_FOUND', `unknown revision ${base}`, { hint: 'use a branch name, HEAD, or a commit id (at least 8 hex digits)' });
}

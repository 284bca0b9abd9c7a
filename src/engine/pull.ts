import { StoreError } from '../core/errors.js';
import type { Repository } from '../repository/repository.js';
import { isAncestor } from './history/ancestry.js';
import { type FetchResult, fetchInto } from './remotes/fetching.js';
import type { TransferListener } from './remotes/pack-transfer.js';
import { findRemote } from './remotes/remote-config.js';

export interface PullPlan {
  fetched: FetchResult;
  branch: string;
  /** The remote-tracking ref merged, `REMOTE/BRANCH`. */
  upstream: string;
  from: string | undefined;
  to: string;
  /** Nothing to do: the branch has the remote's commit already. */
  upToDate: boolean;
}

/**
 * `store pull`'s first half: fetch, then decide the fast-forward of the current branch to
 * `REMOTE/BRANCH` (BRANCH: the current branch's name by default). Refuses when the branches have
 * diverged: pull only fast-forwards. The caller then checks the commit out (as switch does, never
 * over uncommitted changes) and moves the branch under the same lock.
 */
export async function planPull(repo: Repository, options: { remote?: string; branch?: string; onProgress?: TransferListener }): Promise<PullPlan> {
  const entry = findRemote(repo, options.remote);
  const fetched = await fetchInto(repo, entry, options.onProgress);
  const branch = repo.refs.requireBranch('pull');
  const upstream = `${entry.name}/${options.branch ?? branch}`;
  const to = repo.refs.read(`refs/remotes/${upstream}`);
  if (to === undefined) throw new StoreError('COMMIT_NOT_FOUND', `the remote ${entry.name} has no branch ${options.branch ?? branch}`);
  const from = repo.refs.headCommit();
  if (from !== undefined && isAncestor(repo, to, from)) return { fetched, branch, upstream, from, to, upToDate: true };
  if (from !== undefined && !isAncestor(repo, from, to)) {
    throw new StoreError('NON_FAST_FORWARD', `${branch} and ${upstream} have diverged: pull only fast-forwards`, {
      hint: `compare them with \`store log ${upstream}\`; pull does not merge: commit on a branch made from ${upstream} (\`store switch -c NAME\`, then \`store checkout ${upstream}\`)`,
    });
  }
  return { fetched, branch, upstream, from, to, upToDate: false };
}

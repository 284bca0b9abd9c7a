import { StoreError } from '../core/errors.js';
import { isValidRefName } from '../repository/refs.js';
import type { Repository } from '../repository/repository.js';
import { isAncestor } from './history/ancestry.js';
import { computeLiveSet, isLiveBlob } from './history/reachability.js';
import { findRemote, locationOf } from './remotes/remote-config.js';
import { rememberRemotePacks, remotePacks, type TransferListener, uploadPacks } from './remotes/pack-transfer.js';
import { type RemoteRef, RemoteRepository } from './remotes/remote-repository.js';

export interface PushOptions {
  remote?: string;
  /** Branches to push, each `BRANCH` or `LOCAL:REMOTE` (git's refspec); none: the current branch. */
  branches: readonly string[];
  all?: boolean;
  tags?: boolean;
  /** Replace remote refs that are not ancestors of the local ones (still only if unchanged since read). */
  force?: boolean;
  onProgress?: TransferListener;
}

export type PushedStatus = 'up to date' | 'created' | 'fast-forward' | 'forced';

export interface PushedRef {
  ref: string;
  from?: string;
  to: string;
  status: PushedStatus;
}

export interface PushResult {
  remote: string;
  url: string;
  refs: PushedRef[];
  packsSent: number;
  packsAlreadyThere: number;
  bytesSent: number;
  /** The packs' names: sent, and found on the remote already (a push stopped before and run again). */
  sent: string[];
  alreadyThere: string[];
}

/**
 * Sends branches (and tags) to a remote, as git push does, all or nothing: every ref is checked
 * first (a remote ref that is not an ancestor of the local one is refused without --force), then the
 * packs holding what the refs reach that the remote lacks go up, then a manifest listing them, and
 * each ref last, by compare-and-swap on the ETag it had when read: a concurrent pusher who moved it
 * meanwhile makes this push fail with NON_FAST_FORWARD, and nothing is lost on either side.
 */
export async function pushToRemote(repo: Repository, options: PushOptions): Promise<PushResult> {
  const entry = findRemote(repo, options.remote);
  const remote = new RemoteRepository(locationOf(entry));
  try {
    const local = refsToPush(repo, options);
    await remote.initialize(repo.config.chunking);
    const remoteRefs = await remote.refs();
    const plan: (PushedRef & { expected: RemoteRef | undefined })[] = [];
    const rejected: string[] = [];
    for (const [ref, to] of local) {
      const expected = remoteRefs.get(ref);
      const from = expected?.commitId;
      let status: PushedStatus;
      if (from === undefined) status = 'created';
      else if (from === to) status = 'up to date';
      else if (ref.startsWith('refs/heads/') && isAncestor(repo, from, to)) status = 'fast-forward';
      else if (options.force) status = 'forced';
      else {
        rejected.push(ref);
        continue;
      }
      plan.push({ ref, from, to, status, expected });
    }
    if (rejected.length > 0) {
      throw new StoreError(
        'NON_FAST_FORWARD',
        // Named as the refused race below names it: which of the two a losing pusher meets is timing.
        `rejected: ${rejected.map((ref) => `${entry.name}/${shortRef(ref)}`).join(', ')} ${rejected.length === 1 ? 'is' : 'are'} not an ancestor of the local ref (nothing was pushed)`,
        {
          hint: `run \`store fetch ${entry.name}\`, bring the remote's commits in, then push again (or --force to replace them)`,
        },
      );
    }

    // What the pushed commits reach, past what the remote's refs already hold.
    const onRemote = new Set([...remoteRefs.values()].map((ref) => ref.commitId).filter((id) => repo.catalog.commit(Buffer.from(id, 'hex')) !== undefined));
    const changing = plan.filter((step) => step.status !== 'up to date');
    const live = computeLiveSet(repo, { commits: changing.map((step) => step.to), stopAt: onRemote });
    const known = await remotePacks(repo, entry.name, remote);
    const withLive = new Set<number>();
    for (const blob of repo.catalog.eachBlobPlace()) if (!withLive.has(blob.packId) && isLiveBlob(live, blob.id)) withLive.add(blob.packId);
    const needed = repo.catalog
      .packs()
      .filter((pack) => !known.has(pack.name) && withLive.has(pack.id))
      .map((pack) => pack.name);
    const upload = await uploadPacks(repo, remote, needed, options.onProgress);
    if (needed.length > 0) rememberRemotePacks(repo, entry.name, remote, await remote.writeManifest(needed), needed);

    const firstBranch = plan.find((step) => step.ref.startsWith('refs/heads/'));
    if (firstBranch !== undefined) await remote.initializeHead(shortRef(firstBranch.ref));
    for (const step of changing) {
      if (!(await remote.swapRef(step.ref, step.to, step.expected))) {
        throw new StoreError('NON_FAST_FORWARD', `rejected: ${entry.name}/${shortRef(step.ref)} moved while pushing (another push won)`, {
          hint: `run \`store fetch ${entry.name}\`, bring its commits in, then push again; the packs sent are kept`,
        });
      }
    }
    await repo.withWriteLock(() => {
      for (const step of plan) if (step.ref.startsWith('refs/heads/')) repo.refs.update(`refs/remotes/${entry.name}/${shortRef(step.ref)}`, step.to);
    });
    return {
      remote: entry.name,
      url: remote.url,
      refs: plan.map(({ ref, from, to, status }) => ({ ref, from, to, status })),
      packsSent: upload.sent.length,
      packsAlreadyThere: upload.alreadyThere.length,
      bytesSent: upload.bytesSent,
      sent: upload.sent,
      alreadyThere: upload.alreadyThere,
    };
  } finally {
    remote.close();
  }
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** The remote refs to set, each with the local commit it gets. */
function refsToPush(repo: Repository, options: PushOptions): Map<string, string> {
  const specs = options.all
    ? repo.refs.branches()
    : options.branches.length > 0
      ? [...options.branches]
      : [repo.refs.requireBranch('push without a branch named')];
  const refs = new Map<string, string>();
  const add = (localRef: string, remoteRef: string): void => {
    const commitId = repo.refs.read(localRef);
    if (commitId === undefined)
      throw new StoreError('COMMIT_NOT_FOUND', `${shortRef(localRef)} has no commits to push`, { hint: 'commit first, or name an existing branch' });
    refs.set(remoteRef, commitId);
  };
  for (const spec of specs) {
    const [source = '', destination = source] = spec.split(':');
    if (!isValidRefName(source) || !isValidRefName(destination)) throw new StoreError('INVALID_ARGUMENT', `'${spec}' is not BRANCH or LOCAL:REMOTE`);
    add(`refs/heads/${source}`, `refs/heads/${destination}`);
  }
  if (options.tags) for (const tag of repo.refs.tags()) add(`refs/tags/${tag}`, `refs/tags/${tag}`);
  if (refs.size === 0) throw new StoreError('COMMIT_NOT_FOUND', 'nothing to push: no branches');
  return refs;
}

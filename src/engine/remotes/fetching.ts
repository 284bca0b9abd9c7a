import { StoreError } from '../../core/errors.js';
import type { Repository } from '../../repository/repository.js';
import { type RemoteEntry, locationOf } from './remote-config.js';
import { downloadPacks, remotePacks, type TransferListener } from './pack-transfer.js';
import { RemoteRepository } from './remote-repository.js';

export interface FetchedRef {
  /** The local ref written: `refs/remotes/REMOTE/BRANCH`, or `refs/tags/NAME`. */
  ref: string;
  from?: string;
  to: string;
}

export interface FetchResult {
  remote: string;
  url: string;
  /** Refs that changed. */
  updated: FetchedRef[];
  /** The branch the remote's HEAD names (what a clone checks out). */
  headBranch?: string;
  /** Tags the remote has that differ from the local ones of the same name: left alone, as git does. */
  tagsKept: string[];
  packsReceived: number;
  bytesReceived: number;
}

/**
 * Brings a remote's packs that this repository lacks (checked and indexed, see downloadPacks), then
 * points `refs/remotes/REMOTE/*` at the remote's branches and creates its tags that are missing
 * here. A ref whose commit none of the packs hold makes it fail, refs untouched. Under the writer lock.
 */
export async function fetchInto(repo: Repository, entry: RemoteEntry, onProgress?: TransferListener): Promise<FetchResult> {
  const remote = new RemoteRepository(locationOf(entry));
  try {
    if ((await remote.readConfig()) === undefined) {
      throw new StoreError('REMOTE_NOT_FOUND', `${remote.url} holds no store repository (no config)`, {
        hint: 'push to it first, or check the URL and --endpoint',
      });
    }
    const refs = await remote.refs();
    const headBranch = await remote.headBranch();
    return await repo.withWriteLock(async () => {
      const present = new Set(repo.catalog.packs().map((pack) => pack.name));
      const missing = [...(await remotePacks(repo, entry.name, remote))].filter((name) => !present.has(name)).sort();
      const bytesReceived = await downloadPacks(repo, remote, missing, onProgress);
      for (const [ref, { commitId }] of refs) {
        if (repo.catalog.commit(Buffer.from(commitId, 'hex')) === undefined) {
          throw new StoreError('OBJECT_NOT_FOUND', `${remote.url}: ${ref} names commit ${commitId.slice(0, 12)}, which none of its packs hold`, {
            hint: 'the remote is incomplete: push to it again from a repository that has the commit',
          });
        }
      }
      const updated: FetchedRef[] = [];
      const tagsKept: string[] = [];
      for (const [ref, { commitId }] of refs) {
        const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
        const localRef = branch !== undefined ? `refs/remotes/${entry.name}/${branch}` : ref;
        const from = repo.refs.read(localRef);
        if (from === commitId) continue;
        if (branch === undefined && from !== undefined) {
          tagsKept.push(ref.slice('refs/tags/'.length));
          continue;
        }
        repo.refs.update(localRef, commitId);
        updated.push({ ref: localRef, from, to: commitId });
      }
      return { remote: entry.name, url: remote.url, updated, headBranch, tagsKept, packsReceived: missing.length, bytesReceived };
    });
  } finally {
    remote.close();
  }
}

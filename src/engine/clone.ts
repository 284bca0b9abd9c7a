import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { StoreError } from '../core/errors.js';
import { Repository } from '../repository/repository.js';
import { parseRemoteUrl } from '../remote/object-store.js';
import { type FetchResult, fetchInto } from './remotes/fetching.js';
import type { TransferListener } from './remotes/pack-transfer.js';
import { addRemote, locationOf, type RemoteEntry } from './remotes/remote-config.js';
import { RemoteRepository } from './remotes/remote-repository.js';

export interface CloneOptions {
  url: string;
  /** Default: the last part of the URL's prefix, or the bucket's name. */
  directory?: string;
  cwd: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  onProgress?: TransferListener;
}

export interface CloneResult {
  repo: Repository;
  directory: string;
  fetched: FetchResult;
  /** The branch made from the remote's HEAD, undefined when the remote has no branch yet. */
  branch: string | undefined;
  commitId: string | undefined;
}

/**
 * `store clone`'s first half: a new repository in an empty (or new) directory, with the remote's
 * chunking, the remote as `origin`, its packs and refs fetched, and the branch its HEAD names made
 * and checked out by HEAD (the caller then writes the work tree). On failure the directory it made
 * is removed, as git does.
 */
export async function cloneRemote(options: CloneOptions): Promise<CloneResult> {
  const { bucket, prefix } = parseRemoteUrl(options.url);
  const directory = resolve(options.cwd, options.directory ?? (prefix.replace(/\/$/, '').split('/').pop() || bucket));
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new StoreError('REPOSITORY_EXISTS', `destination ${directory} already exists and is not empty`);
  }
  const entry: RemoteEntry = { name: 'origin', url: options.url, endpoint: options.endpoint, region: options.region, pathStyle: options.pathStyle };
  const probe = new RemoteRepository(locationOf(entry));
  let config;
  try {
    config = await probe.readConfig();
  } finally {
    probe.close();
  }
  if (config === undefined)
    throw new StoreError('REMOTE_NOT_FOUND', `${options.url} holds no store repository (no config)`, { hint: 'check the URL and --endpoint' });
  const existed = existsSync(directory);
  let repo: Repository | undefined;
  try {
    // The remote's chunking: content cut at the same places deduplicates against what it holds.
    repo = Repository.init(directory, { chunking: config.chunking });
    await addRemote(repo, entry);
    const fetched = await fetchInto(repo, entry, options.onProgress);
    const branch = fetched.headBranch ?? repo.refs.remoteBranches('origin')[0];
    const commitId = branch === undefined ? undefined : repo.refs.read(`refs/remotes/origin/${branch}`);
    const cloned = repo;
    if (branch !== undefined && commitId !== undefined) {
      await cloned.withWriteLock(() => {
        cloned.refs.update(`refs/heads/${branch}`, commitId);
        cloned.refs.setHeadBranch(branch);
      });
    }
    return { repo, directory, fetched, branch, commitId };
  } catch (error) {
    repo?.close();
    if (existed) rmSync(resolve(directory, '.store'), { recursive: true, force: true });
    else rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

import type { Repository } from '../repository/repository.js';
import { type FetchResult, fetchInto } from './remotes/fetching.js';
import type { TransferListener } from './remotes/pack-transfer.js';
import { findRemote } from './remotes/remote-config.js';

export type { FetchResult };

/** `store fetch [REMOTE]`: the remote's packs and refs, into `refs/remotes/REMOTE/*` (see fetchInto). */
export async function fetchRemote(repo: Repository, options: { remote?: string; onProgress?: TransferListener }): Promise<FetchResult> {
  return fetchInto(repo, findRemote(repo, options.remote), options.onProgress);
}

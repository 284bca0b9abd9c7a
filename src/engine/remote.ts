import type { Repository } from '../repository/repository.js';
import { addRemote, readRemotes, type RemoteEntry, removeRemote } from './remotes/remote-config.js';

export type { RemoteEntry };

/** `store remote add|remove|list`: the remotes recorded in `.store/remotes`. */
export const remotes = {
  add: (repo: Repository, remote: RemoteEntry): Promise<RemoteEntry> => addRemote(repo, remote),
  remove: (repo: Repository, name: string): Promise<void> => removeRemote(repo, name),
  list: (repo: Repository): RemoteEntry[] => readRemotes(repo),
};

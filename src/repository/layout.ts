import { statSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_DIRECTORY } from '../core/names.js';

export { REPOSITORY_DIRECTORY };

/** Who may read a repository: its owner only (git's and restic's default), or its group too. */
export type RepositorySharing = 'private' | 'group';

/** The mode `.store/` is created with; every folder and file inside takes its own from it. */
export function storeDirectoryMode(sharing: RepositorySharing): number {
  return sharing === 'group' ? 0o2770 : 0o700; // setgid: new files belong to the directory's group
}

/** Where each part of a repository lives (see docs/FORMAT.md), and the modes its parts are written with. */
export class RepositoryLayout {
  private modeOfStoreDirectory: number | undefined;

  constructor(
    readonly workTree: string,
    readonly storeDirectory: string = join(workTree, REPOSITORY_DIRECTORY),
  ) {}

  /**
   * Folders inside `.store/` get `.store/`'s own permission bits, files the same without execute
   * bits, whatever the umask: so a private repository (0700) stays private, and a repository made
   * with `init --shared=group` (2770) stays writable by its group. Read once, on first write.
   */
  get directoryMode(): number {
    this.modeOfStoreDirectory ??= statSync(this.storeDirectory).mode & 0o7777;
    return this.modeOfStoreDirectory;
  }
  get fileMode(): number {
    return this.directoryMode & 0o666;
  }

  get config(): string {
    return join(this.storeDirectory, 'config');
  }
  get catalog(): string {
    return join(this.storeDirectory, 'catalog.sqlite');
  }
  get staging(): string {
    return join(this.storeDirectory, 'staging');
  }
  /** That the staging file, as it is now, was checked whole (derived; see core/checked-stamp.ts). */
  get stagingChecked(): string {
    return join(this.storeDirectory, 'staging-checked');
  }
  get treeCache(): string {
    return join(this.storeDirectory, 'tree-cache');
  }
  /** What each directory of the work tree held when last listed (derived; see engine/worktree/directory-cache.ts). */
  get directoryCache(): string {
    return join(this.storeDirectory, 'directory-cache');
  }
  /** That the directory cache, as it is now, was checked whole (derived; see core/checked-stamp.ts). */
  get directoryCacheChecked(): string {
    return join(this.storeDirectory, 'directory-cache-checked');
  }
  get packs(): string {
    return join(this.storeDirectory, 'packs');
  }
  get temporary(): string {
    return join(this.storeDirectory, 'tmp');
  }
  get head(): string {
    return join(this.storeDirectory, 'HEAD');
  }
  get refs(): string {
    return join(this.storeDirectory, 'refs');
  }
  /** The remotes this repository pushes to and fetches from (JSON), never credentials. */
  get remotes(): string {
    return join(this.storeDirectory, 'remotes');
  }
  /** What is known of each remote's packs (derived: a missing file is rebuilt from the remote). */
  get remoteCache(): string {
    return join(this.storeDirectory, 'remote-cache');
  }
  get lock(): string {
    return join(this.storeDirectory, 'lock');
  }
}

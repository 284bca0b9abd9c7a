import { join } from 'node:path';

export const REPOSITORY_DIRECTORY = '.store';

/** Where each part of a repository lives (see docs/FORMAT.md). */
export class RepositoryLayout {
  constructor(
    readonly workTree: string,
    readonly storeDirectory: string = join(workTree, REPOSITORY_DIRECTORY),
  ) {}

  get config(): string {
    return join(this.storeDirectory, 'config');
  }
  get catalog(): string {
    return join(this.storeDirectory, 'catalog.sqlite');
  }
  get staging(): string {
    return join(this.storeDirectory, 'staging');
  }
  get treeCache(): string {
    return join(this.storeDirectory, 'tree-cache');
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
  get lock(): string {
    return join(this.storeDirectory, 'lock');
  }
}

import { rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';

/**
 * Removes a tracked file from the work tree (one already gone is fine), and then the directories it
 * leaves empty, up to the work tree, as git does.
 */
export function removeTrackedFile(workTree: string, path: string): void {
  rmSync(join(workTree, path), { force: true });
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    try {
      rmdirSync(join(workTree, path.slice(0, slash)));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') return; // not empty: neither are its parents
    }
  }
}

import { join } from 'node:path';

/** Packs are sharded by the first two hex digits of their name, like git's loose objects. */
export function packPath(packsDirectory: string, packName: string): string {
  return join(packsDirectory, packName.slice(0, 2), `${packName}.pack`);
}

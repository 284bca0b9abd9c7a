import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Packs are sharded by the first two hex digits of their name, like git's loose objects. */
export function packPath(packsDirectory: string, packName: string): string {
  return join(packsDirectory, packName.slice(0, 2), `${packName}.pack`);
}

/** Names of the sealed pack files present on disk. */
export function packNamesOnDisk(packsDirectory: string): string[] {
  const names: string[] = [];
  let shards: string[];
  try {
    shards = readdirSync(packsDirectory);
  } catch {
    return names;
  }
  for (const shard of shards) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const file of readdirSync(join(packsDirectory, shard))) {
      const match = /^([0-9a-f]{64})\.pack$/.exec(file);
      if (match) names.push(match[1]!);
    }
  }
  return names;
}

import { CorruptionError, StoreError } from '../core/errors.js';
import { digestOf, newHasher } from '../core/hash.js';
import { IdSet } from '../core/id-set.js';
import type { Repository } from '../repository/repository.js';
import { decodeFooter, decodeTrailer, PACK_TRAILER_BYTES } from '../store/pack-format.js';
import { computeLiveSet, isLiveBlob } from './history/reachability.js';
import { findRemote, locationOf } from './remotes/remote-config.js';
import { remotePackKey, RemoteRepository } from './remotes/remote-repository.js';

export interface RemoteVerifyReport {
  remote: string;
  url: string;
  ok: boolean;
  manifestsChecked: number;
  packsChecked: number;
  refsChecked: number;
  readData: boolean;
  /** What is wrong, each naming the object. */
  damage: string[];
}

/**
 * `store verify --remote NAME`: every manifest present and matching its name, every pack it lists
 * present with a footer that checks (two range GETs each), every ref's commit held by some pack, and
 * for refs whose commits this repository has, every blob they reach held by some pack. With
 * `readData`, every pack is read whole and must hash to its name. Reads only; changes nothing.
 */
export async function verifyRemote(repo: Repository, options: { remote?: string; readData?: boolean }): Promise<RemoteVerifyReport> {
  const entry = findRemote(repo, options.remote);
  const remote = new RemoteRepository(locationOf(entry));
  const damage: string[] = [];
  const report = { remote: entry.name, url: remote.url, manifestsChecked: 0, packsChecked: 0, refsChecked: 0, readData: options.readData ?? false };
  try {
    if ((await remote.readConfig()) === undefined) throw new StoreError('REMOTE_NOT_FOUND', `${remote.url} holds no store repository (no config)`);
    const packs = new Set<string>();
    for (const id of await remote.manifestIds()) {
      try {
        for (const pack of await remote.readManifest(id)) packs.add(pack);
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        damage.push(error.message);
      }
      report.manifestsChecked++;
    }
    const held = new IdSet();
    for (const name of [...packs].sort()) {
      try {
        for (const id of await checkPack(remote, name, options.readData ?? false)) held.add(id);
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        damage.push(error.message);
      }
      report.packsChecked++;
    }
    const refs = await remote.refs();
    const reachable: string[] = [];
    for (const [ref, { commitId }] of refs) {
      report.refsChecked++;
      if (!held.has(Buffer.from(commitId, 'hex'))) damage.push(`${ref} names commit ${commitId.slice(0, 12)}, which no pack holds`);
      else if (repo.catalog.commit(Buffer.from(commitId, 'hex')) !== undefined) reachable.push(commitId);
    }
    const live = computeLiveSet(repo, { commits: reachable, stopAt: new Set() });
    // Each blob this repository holds that those commits reach must be in one of the remote's packs.
    let missing = 0;
    for (const blob of repo.catalog.eachBlobPlace()) if (isLiveBlob(live, blob.id) && !held.has(blob.id)) missing++;
    if (missing > 0) damage.push(`${missing} blob(s) that the remote's refs reach are in none of its packs`);
    return { ...report, ok: damage.length === 0, damage };
  } finally {
    remote.close();
  }
}

/** The ids a remote pack holds, from its footer; read whole and hashed with `readData`. */
async function checkPack(remote: RemoteRepository, name: string, readData: boolean): Promise<Buffer[]> {
  const key = remotePackKey(name);
  const sizeBytes = await remote.objects.size(key);
  if (sizeBytes === undefined) throw new StoreError('OBJECT_NOT_FOUND', `pack ${name} is listed by a manifest but missing`);
  if (readData) {
    const { body } = await remote.objects.getStream(key);
    const hasher = newHasher();
    for await (const piece of body) hasher.update(piece);
    const digest = digestOf(hasher).toString('hex');
    if (digest !== name) throw new CorruptionError('CORRUPT_PACK', `pack ${name} is damaged: its bytes hash to ${digest.slice(0, 16)}…`);
  }
  if (sizeBytes < PACK_TRAILER_BYTES) throw new CorruptionError('CORRUPT_PACK', `pack ${name}: too short (${sizeBytes} bytes)`);
  const trailer = decodeTrailer(await remote.objects.getRange(key, -PACK_TRAILER_BYTES), sizeBytes, name);
  const footer = decodeFooter(
    await remote.objects.getRange(key, trailer.footerOffset, trailer.footerLength),
    trailer.footerHash,
    trailer.footerOffset,
    name,
    trailer.version,
  );
  return footer.blobs.map((blob) => blob.id);
}

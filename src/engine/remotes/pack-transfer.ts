import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { CorruptionError } from '../../core/errors.js';
import { RemoteError } from '../../remote/object-store.js';
import { makeDirectories, writeFileAtomic, writeFileAtomicFrom } from '../../core/fs-atomic.js';
import { digestOf, isFullHexId, newHasher } from '../../core/hash.js';
import { indexPack, inIndexingOrder } from '../../repository/pack-index.js';
import type { Repository } from '../../repository/repository.js';
import { packPath } from '../../store/pack-store.js';
import { remotePackKey, type RemoteRepository } from './remote-repository.js';

/** Packs in flight at once, each way: enough to fill a link, few enough that memory stays bounded (packs are streamed). */
export const TRANSFER_CONCURRENCY = 4;

export interface TransferProgress {
  direction: 'up' | 'down';
  packsDone: number;
  packsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export type TransferListener = (progress: Readonly<TransferProgress>) => void;

/** Runs `work` on every item, at most `limit` at once; the first failure stops new work and is thrown once the rest settle. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure;
}

/**
 * The packs the remote holds, as its manifests list them: manifests already read are remembered in
 * `.store/remote-cache/NAME` (derived data), so a push reads only the manifests new since the last
 * one, and never lists the packs themselves.
 */
export async function remotePacks(repo: Repository, remoteName: string, remote: RemoteRepository): Promise<Set<string>> {
  let cache = readRemoteCache(repo, remoteName, remote) ?? { url: remote.url, manifests: [], packs: [] };
  const listed = await remote.manifestIds();
  const present = new Set(listed);
  // A manifest remembered but gone: the remote was emptied or replaced, so nothing remembered holds.
  const replaced = cache.manifests.some((id) => !present.has(id));
  if (replaced) cache = { url: remote.url, manifests: [], packs: [] };
  const known = new Set(cache.manifests);
  const packs = new Set(cache.packs.filter(isFullHexId));
  const fresh = listed.filter((id) => !known.has(id));
  await eachBounded(fresh, TRANSFER_CONCURRENCY * 2, async (id) => {
    for (const pack of await remote.readManifest(id)) packs.add(pack);
  });
  if (fresh.length > 0 || replaced) writeRemoteCache(repo, remoteName, { url: remote.url, manifests: [...known, ...fresh], packs: [...packs] });
  return packs;
}

/** Adds packs a push just listed in a manifest to the remote's cache (see remotePacks). */
export function rememberRemotePacks(repo: Repository, remoteName: string, remote: RemoteRepository, manifestId: string, names: readonly string[]): void {
  const cache = readRemoteCache(repo, remoteName, remote);
  if (cache === undefined) return; // the next push reads every manifest anyway
  writeRemoteCache(repo, remoteName, { ...cache, manifests: [...cache.manifests, manifestId], packs: [...cache.packs, ...names] });
}

/** The packs any remote is remembered to hold (every `.store/remote-cache/*`; none when there is none). */
export function packsHeldByRemotes(repo: Repository): Set<string> {
  const held = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(repo.layout.remoteCache);
  } catch {
    return held;
  }
  for (const name of names) {
    try {
      const read = JSON.parse(readFileSync(join(repo.layout.remoteCache, name), 'utf8'));
      if (Array.isArray(read?.packs)) for (const pack of read.packs) if (typeof pack === 'string') held.add(pack);
    } catch {
      // damaged: derived data, rebuilt by the next push
    }
  }
  return held;
}

interface RemoteCache {
  url: string;
  manifests: string[];
  packs: string[];
}

/** `.store/remote-cache/NAME`, or undefined when it is missing, damaged or of another URL. */
function readRemoteCache(repo: Repository, remoteName: string, remote: RemoteRepository): RemoteCache | undefined {
  try {
    const read = JSON.parse(readFileSync(join(repo.layout.remoteCache, remoteName), 'utf8'));
    return read?.url === remote.url && Array.isArray(read.manifests) && Array.isArray(read.packs) ? read : undefined;
  } catch {
    return undefined; // missing or damaged: rebuilt from the remote
  }
}

function writeRemoteCache(repo: Repository, remoteName: string, cache: RemoteCache): void {
  makeDirectories(repo.layout.remoteCache, repo.layout.directoryMode);
  writeFileAtomic(join(repo.layout.remoteCache, remoteName), JSON.stringify(cache), { mode: repo.layout.fileMode, durable: false });
}

/** Tries of one streamed pack upload: the SDK cannot retry a stream itself, so each try opens the file again. */
const UPLOAD_TRIES = 5;

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RemoteError) || !error.retryable || tries >= UPLOAD_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (tries - 1) * (0.5 + Math.random())));
    }
  }
}

export interface UploadReport {
  /** Packs sent. */
  sent: string[];
  /** Packs the remote had already (a push that was stopped and run again): not sent again. */
  alreadyThere: string[];
  bytesSent: number;
}

/**
 * Sends packs, each streamed from its file and written only if absent (If-None-Match: *), after a
 * HEAD that spares the bytes of one a stopped push already sent: a pack is never sent twice.
 */
export async function uploadPacks(repo: Repository, remote: RemoteRepository, names: readonly string[], onProgress?: TransferListener): Promise<UploadReport> {
  const report: UploadReport = { sent: [], alreadyThere: [], bytesSent: 0 };
  const sizes = new Map(names.map((name) => [name, statSync(packPath(repo.layout.packs, name)).size]));
  const progress: TransferProgress = {
    direction: 'up',
    packsDone: 0,
    packsTotal: names.length,
    bytesDone: 0,
    bytesTotal: [...sizes.values()].reduce((a, b) => a + b, 0),
  };
  onProgress?.(progress);
  await eachBounded(names, TRANSFER_CONCURRENCY, async (name) => {
    const key = remotePackKey(name);
    const sizeBytes = sizes.get(name)!;
    if ((await remote.objects.size(key)) === sizeBytes) report.alreadyThere.push(name);
    else {
      const written = await withRetries(async () => {
        let sentThisTry = 0;
        // Counted as the SDK pulls the bytes, not by listening to the file's stream: a 'data'
        // listener would start it flowing while the SDK still waits for "100 Continue", and those
        // bytes would never be sent (the server then waits for them, and fails the PUT after a minute).
        const body = createReadStream(packPath(repo.layout.packs, name)).pipe(
          new Transform({
            transform(piece: Buffer, _encoding, done) {
              sentThisTry += piece.length;
              progress.bytesDone += piece.length;
              onProgress?.(progress);
              done(null, piece);
            },
          }),
        );
        try {
          return await remote.objects.put(key, body, { ifAbsent: true }, sizeBytes);
        } catch (error) {
          progress.bytesDone -= sentThisTry;
          body.destroy();
          throw error;
        }
      });
      if (written) {
        report.sent.push(name);
        report.bytesSent += sizeBytes;
      } else report.alreadyThere.push(name);
    }
    progress.packsDone++;
    onProgress?.(progress);
  });
  return report;
}

/**
 * Gets packs into this repository: each streamed to a temporary file while hashed, refused unless
 * its bytes hash to its name (a damaged object on the remote is named, never stored), then renamed
 * into place (a pack of that name already there has the same bytes); once all are here, each is
 * indexed (file maps and commits read and checked; every other blob is checked against its id
 * whenever it is read, as everywhere). Returns the bytes received.
 */
export async function downloadPacks(repo: Repository, remote: RemoteRepository, names: readonly string[], onProgress?: TransferListener): Promise<number> {
  const progress: TransferProgress = { direction: 'down', packsDone: 0, packsTotal: names.length, bytesDone: 0, bytesTotal: 0 };
  onProgress?.(progress);
  await eachBounded(names, TRANSFER_CONCURRENCY, async (name) => {
    const path = packPath(repo.layout.packs, name);
    makeDirectories(dirname(path), repo.layout.directoryMode);
    const { body, sizeBytes } = await remote.objects.getStream(remotePackKey(name));
    progress.bytesTotal += sizeBytes;
    // Written whole or not at all; a pack whose bytes do not hash to its name is never renamed into place.
    await writeFileAtomicFrom(
      path,
      async (write) => {
        const hasher = newHasher();
        let received = 0;
        for await (const piece of body as AsyncIterable<Buffer>) {
          hasher.update(piece);
          await write(piece);
          received += piece.length;
          progress.bytesDone += piece.length;
          onProgress?.(progress);
        }
        const digest = digestOf(hasher).toString('hex');
        if (digest !== name) {
          throw new CorruptionError(
            'CORRUPT_PACK',
            `${remote.url}: pack ${name} is damaged (its ${received} bytes hash to ${digest.slice(0, 16)}…); nothing of it was kept`,
            { hint: 'run `store verify --remote NAME --read-data`; push again from a repository that has the pack' },
          );
        }
      },
      { mode: repo.layout.fileMode & 0o444, expectedBytes: sizeBytes },
    );
    progress.packsDone++;
    onProgress?.(progress);
  });
  // Indexed once all are here, bases first: a file map stored as a delta is read to be indexed.
  for (const name of inIndexingOrder(names, repo.packReader)) {
    const indexed = indexPack(name, repo.packReader, repo.catalog, { readEveryBlob: false });
    if (indexed.corruptBlobs.length > 0) {
      throw new CorruptionError(
        'CORRUPT_PACK',
        `${remote.url}: pack ${name} holds ${indexed.corruptBlobs.length} blob(s) that do not match their ids, first ${indexed.corruptBlobs[0]}`,
      );
    }
  }
  return progress.bytesDone;
}

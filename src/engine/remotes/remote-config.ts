import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionError, errnoCode, StoreError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { isValidRefName } from '../../repository/refs.js';
import type { Repository } from '../../repository/repository.js';
import { parseRemoteUrl, type RemoteLocation } from '../../remote/object-store.js';

/** A remote as the repository records it in `.store/remotes`: where it is, never who may read it. */
export interface RemoteEntry {
  name: string;
  url: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

export function readRemotes(repo: Repository): RemoteEntry[] {
  let text: string;
  try {
    text = readFileSync(repo.layout.remotes, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptionError('CORRUPT_CONFIG', `${repo.layout.remotes} is not JSON`);
  }
  const remotes = (parsed as { remotes?: unknown }).remotes;
  if (!Array.isArray(remotes) || !remotes.every((remote) => typeof remote?.name === 'string' && typeof remote?.url === 'string')) {
    throw new CorruptionError('CORRUPT_CONFIG', `${repo.layout.remotes} does not list remotes`);
  }
  return remotes as RemoteEntry[];
}

function writeRemotes(repo: Repository, remotes: readonly RemoteEntry[]): void {
  writeFileAtomic(repo.layout.remotes, `${JSON.stringify({ remotes }, null, 2)}\n`, { mode: repo.layout.fileMode });
}

/** The remote named `name`, or the only one when `name` is undefined and there is just one (else `origin`). */
export function findRemote(repo: Repository, name: string | undefined): RemoteEntry {
  const remotes = readRemotes(repo);
  const wanted = name ?? (remotes.length === 1 ? remotes[0]!.name : 'origin');
  const remote = remotes.find((entry) => entry.name === wanted);
  if (remote === undefined) {
    throw new StoreError('REMOTE_NOT_FOUND', `no remote named '${wanted}'`, { hint: 'add one with `store remote add NAME s3://BUCKET/PREFIX`' });
  }
  return remote;
}

export function locationOf(remote: RemoteEntry): RemoteLocation {
  return { ...parseRemoteUrl(remote.url), endpoint: remote.endpoint, region: remote.region, pathStyle: remote.pathStyle };
}

export async function addRemote(repo: Repository, remote: RemoteEntry): Promise<RemoteEntry> {
  if (!isValidRefName(remote.name) || remote.name.includes('/')) throw new StoreError('INVALID_ARGUMENT', `'${remote.name}' is not a valid remote name`);
  parseRemoteUrl(remote.url); // refuses a malformed URL before anything is written
  if (remote.endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(remote.endpoint)) {
    throw new StoreError('INVALID_ARGUMENT', `'${remote.endpoint}' is not an endpoint URL`, { hint: 'use http(s)://HOST[:PORT]' });
  }
  return repo.withWriteLock(() => {
    const remotes = readRemotes(repo);
    if (remotes.some((entry) => entry.name === remote.name)) throw new StoreError('REF_EXISTS', `remote ${remote.name} already exists`);
    const entry = Object.fromEntries(Object.entries(remote).filter(([, value]) => value !== undefined)) as unknown as RemoteEntry;
    writeRemotes(repo, [...remotes, entry]);
    return entry;
  });
}

/** Forgets a remote and its remote-tracking refs; the remote itself is not touched. */
export async function removeRemote(repo: Repository, name: string): Promise<void> {
  await repo.withWriteLock(() => {
    const remotes = readRemotes(repo);
    if (!remotes.some((entry) => entry.name === name)) throw new StoreError('REMOTE_NOT_FOUND', `no remote named '${name}'`);
    writeRemotes(
      repo,
      remotes.filter((entry) => entry.name !== name),
    );
    for (const branch of repo.refs.remoteBranches(name)) repo.refs.delete(`refs/remotes/${name}/${branch}`);
    rmSync(join(repo.layout.remoteCache, name), { force: true });
  });
}

import { CorruptionError, StoreError } from '../../core/errors.js';
import { hashBytes, isFullHexId } from '../../core/hash.js';
import { isValidRefName } from '../../repository/refs.js';
import { ObjectStore, type RemoteLocation, remoteUrl } from '../../remote/object-store.js';

/**
 * A repository on object storage. Its layout under the remote's prefix (docs/FORMAT.md, "Remotes"):
 *
 *   config                       JSON: the format, and the chunking every repository pushing here shares
 *   HEAD                         "ref: refs/heads/BRANCH": the branch a clone checks out (written once)
 *   refs/heads/NAME, refs/tags/NAME   a commit id; replaced only by compare-and-swap on its ETag
 *   manifests/ID                 JSON: the packs one push added; ID is the BLAKE3 of its bytes
 *   packs/XX/NAME.pack           a pack, byte for byte as local (NAME: the BLAKE3 of its bytes)
 *
 * Packs go up first, then the manifest that lists them, then the ref: whatever a ref names is
 * complete on the remote. Objects are immutable but the refs (and are written once unless absent).
 * A pack keeps its footer at its end, so a reader can fetch one frame with two range GETs.
 */

export const REMOTE_FORMAT = 'store-remote';
export const REMOTE_FORMAT_VERSION = 1;

export interface RemoteConfig {
  format: typeof REMOTE_FORMAT;
  version: number;
  chunking: { minBytes: number; avgBytes: number; maxBytes: number };
}

/** A ref as the remote has it: the commit, and the ETag a compare-and-swap must name. */
export interface RemoteRef {
  commitId: string;
  etag: string;
}

export function remotePackKey(name: string): string {
  return `packs/${name.slice(0, 2)}/${name}.pack`;
}

export class RemoteRepository {
  readonly objects: ObjectStore;

  constructor(location: RemoteLocation) {
    this.objects = new ObjectStore(location);
  }

  get url(): string {
    return remoteUrl(this.objects.location);
  }

  close(): void {
    this.objects.close();
  }

  async readConfig(): Promise<RemoteConfig | undefined> {
    const found = await this.objects.get('config');
    if (found === undefined) return undefined;
    const config = parseJson(found.body, `${this.url}/config`) as RemoteConfig;
    if (config?.format !== REMOTE_FORMAT || typeof config.version !== 'number' || typeof config.chunking?.avgBytes !== 'number') {
      throw new CorruptionError('CORRUPT_CONFIG', `${this.url}/config is not a store remote's config`);
    }
    if (config.version > REMOTE_FORMAT_VERSION) {
      throw new StoreError('UNSUPPORTED_FORMAT', `${this.url} has remote format ${config.version}; this store reads up to ${REMOTE_FORMAT_VERSION}`);
    }
    return config;
  }

  /** Makes the remote a repository (bucket and config) unless it is one; returns its config. */
  async initialize(chunking: RemoteConfig['chunking']): Promise<RemoteConfig> {
    const existing = await this.readConfig();
    if (existing !== undefined) return existing;
    await this.objects.ensureBucket();
    const config: RemoteConfig = { format: REMOTE_FORMAT, version: REMOTE_FORMAT_VERSION, chunking };
    // Two first pushes at once: one config wins, and both go on with it.
    if (!(await this.objects.put('config', Buffer.from(`${JSON.stringify(config)}\n`), { ifAbsent: true }))) return (await this.readConfig())!;
    return config;
  }

  /** The branch HEAD names, or undefined before the first push. */
  async headBranch(): Promise<string | undefined> {
    const found = await this.objects.get('HEAD');
    if (found === undefined) return undefined;
    const match = /^ref: refs\/heads\/(.+)\n?$/.exec(found.body.toString('utf8'));
    if (match === null || !isValidRefName(match[1]!)) throw new CorruptionError('CORRUPT_CONFIG', `${this.url}/HEAD is malformed`);
    return match[1]!;
  }

  /** Sets HEAD unless it is set: the first branch pushed is the one clones check out. */
  async initializeHead(branch: string): Promise<void> {
    await this.objects.put('HEAD', Buffer.from(`ref: refs/heads/${branch}\n`), { ifAbsent: true });
  }

  /** Every ref, `refs/heads/NAME` or `refs/tags/NAME`, with its commit. */
  async refs(): Promise<Map<string, RemoteRef>> {
    const refs = new Map<string, RemoteRef>();
    for (const key of await this.objects.list('refs/')) {
      const kind = /^refs\/(heads|tags)\/(.+)$/.exec(key);
      if (kind === null || !isValidRefName(kind[2]!)) continue; // not ours: left alone
      const ref = await this.ref(key);
      if (ref !== undefined) refs.set(key, ref);
    }
    return refs;
  }

  async ref(ref: string): Promise<RemoteRef | undefined> {
    const found = await this.objects.get(ref);
    if (found === undefined) return undefined;
    const commitId = found.body.toString('utf8').trim();
    if (!isFullHexId(commitId)) throw new CorruptionError('CORRUPT_CONFIG', `${this.url}/${ref} is malformed`);
    return { commitId, etag: found.etag };
  }

  /**
   * Points `ref` at `commitId` if it still is as `expected` says (undefined: absent): the
   * compare-and-swap that makes two pushers to one branch safe. False when it moved meanwhile.
   */
  async swapRef(ref: string, commitId: string, expected: RemoteRef | undefined): Promise<boolean> {
    return this.objects.put(ref, Buffer.from(`${commitId}\n`), expected === undefined ? { ifAbsent: true } : { ifEtag: expected.etag });
  }

  async manifestIds(): Promise<string[]> {
    return (await this.objects.list('manifests/')).map((key) => key.slice('manifests/'.length)).filter(isFullHexId);
  }

  /** The packs a manifest lists; its name is the BLAKE3 of its bytes, checked. */
  async readManifest(id: string): Promise<string[]> {
    const found = await this.objects.get(`manifests/${id}`);
    if (found === undefined) throw new StoreError('OBJECT_NOT_FOUND', `${this.url}: manifest ${id} is listed but missing`);
    if (hashBytes(found.body).toString('hex') !== id)
      throw new CorruptionError('CORRUPT_OBJECT', `${this.url}: manifest ${id} is damaged (its bytes do not hash to its name)`);
    const packs = (parseJson(found.body, `manifest ${id}`) as { packs?: unknown }).packs;
    if (!Array.isArray(packs) || !packs.every((name) => typeof name === 'string' && isFullHexId(name))) {
      throw new CorruptionError('CORRUPT_OBJECT', `${this.url}: manifest ${id} does not list packs`);
    }
    return packs as string[];
  }

  /** Records that the remote holds `packs` (written once, named by its bytes); returns its id. */
  async writeManifest(packs: readonly string[]): Promise<string> {
    const bytes = Buffer.from(`${JSON.stringify({ packs: [...packs].sort() })}\n`);
    const id = hashBytes(bytes).toString('hex');
    await this.objects.put(`manifests/${id}`, bytes, { ifAbsent: true });
    return id;
  }
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new CorruptionError('CORRUPT_OBJECT', `${what} is not JSON`);
  }
}

import { closeSync, linkSync, openSync, readdirSync, readSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionError, errnoCode } from '../core/errors.js';
import { fsyncDirectory, makeDirectories, temporarySibling, writeFileAtomic } from '../core/fs-atomic.js';

/**
 * Where packs live, as the few operations any place that holds them offers: a local directory here,
 * object storage behind the S3 API next (issue 18). Packs are immutable and named by the BLAKE3 of
 * their bytes, so a store never overwrites one: writing a name that is there already is "already
 * there". Reads of blobs go through PackReader, which opens local packs directly for speed; this
 * interface is what listing, copying and deleting packs go through.
 */
export interface PackStore {
  /** Names of the sealed packs held. */
  list(): Promise<string[]>;
  /** `length` bytes of a pack from `offset`. */
  readRange(name: string, offset: number, length: number): Promise<Buffer>;
  /** Stores a whole pack atomically (whole or not at all); false, and nothing written, when one of that name is there already. */
  writeWhole(name: string, bytes: Uint8Array): Promise<boolean>;
  /** Removes a pack; one already gone is fine. */
  delete(name: string): Promise<void>;
}

/** Packs are sharded by the first two hex digits of their name, like git's loose objects. */
export function packPath(packsDirectory: string, packName: string): string {
  return join(packsDirectory, packName.slice(0, 2), `${packName}.pack`);
}

/** Names of the sealed pack files present in a local packs directory. */
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

/** The packs directory of a local repository (`.store/packs`). */
export class LocalPackStore implements PackStore {
  constructor(
    private readonly directory: string,
    private readonly modes: { fileMode: number; directoryMode: number },
  ) {}

  async list(): Promise<string[]> {
    return packNamesOnDisk(this.directory);
  }

  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    const fd = openSync(packPath(this.directory, name), 'r');
    try {
      const bytes = Buffer.allocUnsafe(length);
      for (let done = 0; done < length; ) {
        const n = readSync(fd, bytes, done, length - done, offset + done);
        if (n === 0) throw new CorruptionError('CORRUPT_PACK', `pack ${name}: ends before offset ${offset + length} (truncated)`);
        done += n;
      }
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  async writeWhole(name: string, bytes: Uint8Array): Promise<boolean> {
    const path = packPath(this.directory, name);
    makeDirectories(join(path, '..'), this.modes.directoryMode);
    // Written whole under a temporary name, then linked into place: link fails if the name is taken,
    // so a pack is created once and never replaced (rename would replace it).
    const temporary = temporarySibling(path);
    writeFileAtomic(temporary, bytes, { mode: this.modes.fileMode & 0o444 });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(temporary);
    }
    fsyncDirectory(join(path, '..'));
    return true;
  }

  /** Deletes a pack, and its shard directory once that is empty (a 4 KiB block each: gc had left 35 of 36 empty). */
  async delete(name: string): Promise<void> {
    const path = packPath(this.directory, name);
    rmSync(path, { force: true });
    try {
      rmdirSync(join(path, '..'));
    } catch (error) {
      if (errnoCode(error) !== 'ENOTEMPTY' && errnoCode(error) !== 'EEXIST' && errnoCode(error) !== 'ENOENT') throw error;
    }
  }
}

import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../src/core/hash.js';
import { LocalPackStore, packPath } from '../src/store/pack-store.js';
import { pseudoRandomBytes, temporaryDirectory } from './helpers.js';

describe('where packs live', () => {
  it('a local pack store lists, reads ranges, writes whole packs once (never over one) and deletes', async () => {
    const directory = join(temporaryDirectory(), 'packs');
    const store = new LocalPackStore(directory, { fileMode: 0o600, directoryMode: 0o700 });
    expect(await store.list()).toEqual([]);
    const bytes = pseudoRandomBytes(100_000, 9);
    const name = hashBytes(bytes).toString('hex');
    expect(await store.writeWhole(name, bytes)).toBe(true);
    expect(readFileSync(packPath(directory, name)).equals(bytes)).toBe(true);
    expect(lstatSync(packPath(directory, name)).mode & 0o777).toBe(0o400);
    expect(lstatSync(join(directory, name.slice(0, 2))).mode & 0o777).toBe(0o700);
    expect(await store.list()).toEqual([name]);
    expect((await store.readRange(name, 1000, 50)).equals(bytes.subarray(1000, 1050))).toBe(true);
    await expect(store.readRange(name, 99_990, 50)).rejects.toThrow(/truncated/);
    // A second write of the name is "already there": the first pack stays as it was.
    expect(await store.writeWhole(name, Buffer.alloc(10))).toBe(false);
    expect(readFileSync(packPath(directory, name)).equals(bytes)).toBe(true);
    expect(lstatSync(join(directory, name.slice(0, 2))).isDirectory()).toBe(true);
    await store.delete(name);
    await store.delete(name); // gone already: fine
    expect(await store.list()).toEqual([]);
  });
});

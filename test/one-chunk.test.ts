import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import { hashBytes } from '../src/core/hash.js';
import { pseudoRandomBytes, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';
import { BlobType } from '../src/core/vocabulary.js';

/** Format 2: a content of exactly one chunk is stored as that chunk alone, with no file map. */
describe('one-chunk contents', () => {
  const work = temporaryDirectory();
  const one = pseudoRandomBytes(5000, 7);
  const many = pseudoRandomBytes(900_000, 8); // several chunks at the default 32K:64K:256K
  const oneId = hashBytes(one);
  const manyId = hashBytes(many);
  const emptyId = hashBytes(Buffer.alloc(0));

  it('have no file map and no files row; multi-chunk and empty contents keep theirs', async () => {
    await storeOk(['init', '-q'], { cwd: work });
    writeFileSync(join(work, 'one'), one);
    writeFileSync(join(work, 'many'), many);
    writeFileSync(join(work, 'empty'), '');
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'first'], { cwd: work });
    const catalog = new Catalog(join(work, '.store', 'catalog.sqlite'));
    try {
      expect(catalog.file(oneId)).toBeUndefined();
      const chunk = catalog.blobLocation(oneId);
      expect(chunk?.type).toBe(BlobType.Chunk);
      expect(chunk?.length).toBe(one.length);
      expect(catalog.file(manyId)?.chunkCount).toBeGreaterThan(1);
      expect(catalog.file(emptyId)?.chunkCount).toBe(0);
      expect(catalog.allFiles()).toHaveLength(2);
    } finally {
      catalog.close();
    }
  });

  it('come back byte-exact by path, by id and by id prefix; stats and verify --read-data count them', async () => {
    expect((await storeOk(['get', 'one'], { cwd: work })).stdout.equals(one)).toBe(true);
    expect((await storeOk(['get', oneId.toString('hex')], { cwd: work })).stdout.equals(one)).toBe(true);
    expect((await storeOk(['get', oneId.toString('hex').slice(0, 12)], { cwd: work })).stdout.equals(one)).toBe(true);
    expect((await storeOk(['get', 'many'], { cwd: work })).stdout.equals(many)).toBe(true);
    expect((await storeOk(['get', 'empty'], { cwd: work })).stdout.length).toBe(0);
    const stats = await storeJson<{ largestStoredFiles: { path: string; storedBytes: number }[]; distinctFileContents: number }>(['stats'], { cwd: work });
    expect(stats.largestStoredFiles.find((file) => file.path === 'one')?.storedBytes).toBeGreaterThan(4000);
    expect(stats.distinctFileContents).toBe(3); // one, many and empty: one of them has no files row
    expect((await storeOk(['stats'], { cwd: work })).text).toMatch(/distinct file contents, branch history +3\n/);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('stay live for gc while history needs them, and are checked out again', async () => {
    rmSync(join(work, 'one'));
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'without one'], { cwd: work });
    await storeOk(['gc'], { cwd: work });
    const [, first] = await storeJson<{ commitId: string }[]>(['log'], { cwd: work });
    await storeOk(['checkout', first!.commitId, 'one'], { cwd: work });
    expect(readFileSync(join(work, 'one')).equals(one)).toBe(true);
  });

  it('a version 1 repository is read as it is and marked version 7 by the first write', async () => {
    const configPath = join(work, '.store', 'config');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    writeFileSync(configPath, JSON.stringify({ ...config, formatVersion: 1 }));
    await storeOk(['status'], { cwd: work });
    expect(JSON.parse(readFileSync(configPath, 'utf8')).formatVersion).toBe(1);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    expect(JSON.parse(readFileSync(configPath, 'utf8')).formatVersion).toBe(7);
    writeFileSync(configPath, JSON.stringify({ ...config, formatVersion: 8 }));
    const refused = await store(['status'], { cwd: work });
    expect(refused.status).toBe(10);
    expect(refused.stderr).toContain('format version 8');
  });
});

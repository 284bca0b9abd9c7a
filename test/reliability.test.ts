import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkedStampRecord, pseudoRandomBytes, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

const KiB = 1024;

interface Pack {
  name: string;
  path: string;
}

/** A committed repository with one incompressible file, so a flipped pack byte lands in its chunk. */
async function committedRepository(): Promise<{ work: string; data: Buffer; commit: string }> {
  const work = temporaryDirectory();
  const data = pseudoRandomBytes(600 * KiB, 77);
  writeFileSync(join(work, 'data.bin'), data);
  writeFileSync(join(work, 'note.txt'), 'a note\n');
  await storeOk(['init'], { cwd: work });
  await storeOk(['add', '-A'], { cwd: work });
  const commit = (await storeJson<{ commitId: string }>(['commit', '-m', 'one'], { cwd: work })).commitId;
  return { work, data, commit };
}

/** The pack holding data.bin's chunks: the largest one. */
async function dataPack(work: string): Promise<Pack> {
  const verify = await storeJson<{ packsChecked: number }>(['verify'], { cwd: work });
  expect(verify.packsChecked).toBeGreaterThan(0);
  const root = join(work, '.store/packs');
  const packs: Pack[] = [];
  for (const shard of readdirNames(root))
    for (const file of readdirNames(join(root, shard))) packs.push({ name: file.replace('.pack', ''), path: join(root, shard, file) });
  return packs.sort((a, b) => statSync(b.path).size - statSync(a.path).size)[0]!;
}

function readdirNames(path: string): string[] {
  return readdirSync(path);
}

describe('damage is reported precisely, and never returned as data', () => {
  it('a flipped byte in a pack: get fails with status 8 naming the pack; verify --read-data names pack, blobs and files', async () => {
    const { work } = await committedRepository();
    const pack = await dataPack(work);
    const bytes = readFileSync(pack.path);
    bytes[5000]! ^= 0x40;
    writeFileSync(pack.path, bytes);
    const get = await store(['get', 'data.bin'], { cwd: work });
    expect(get.status).toBe(8);
    expect(get.stderr).toContain(pack.name);
    expect(get.stdout.length).toBeLessThan(600 * KiB);
    expect((await storeOk(['get', 'note.txt'], { cwd: work })).text).toBe('a note\n');
    const quick = await store(['verify'], { cwd: work });
    expect(quick.status).toBe(0); // footers intact: only re-reading the data finds this
    const full = await store(['verify', '--read-data', '--json'], { cwd: work });
    expect(full.status).toBe(8);
    const report = JSON.parse(full.text);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'corrupt-blob', pack: pack.name }));
    expect(report.affected).toContainEqual(expect.objectContaining({ path: 'data.bin' }));
    expect(report.affected).toContainEqual(expect.objectContaining({ commit: 'staging', path: 'data.bin' }));
  });

  it('a large file (decompressed on worker threads): damage is status 8 naming the pack, and -o leaves no file', async () => {
    const work = temporaryDirectory();
    const data = pseudoRandomBytes(20 * 1024 * KiB, 78);
    writeFileSync(join(work, 'large.bin'), data);
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'large'], { cwd: work });
    expect((await storeOk(['get', 'large.bin'], { cwd: work })).stdout.equals(data)).toBe(true);
    const pack = await dataPack(work);
    const bytes = readFileSync(pack.path);
    bytes[Math.floor(bytes.length * 0.7)]! ^= 0x08;
    writeFileSync(pack.path, bytes);
    const destination = join(temporaryDirectory(), 'out.bin');
    const result = await store(['get', 'large.bin', '-o', destination], { cwd: work });
    expect(result.status).toBe(8);
    expect(result.stderr).toContain(pack.name);
    expect(() => statSync(destination)).toThrow();
  });

  it("a catalog row that does not match its pack's footer: verify names that blob (and only it); repair fixes it", async () => {
    const { work } = await committedRepository();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(work, '.store/catalog.sqlite'));
    // One blob said to lie one byte further into its frame than it does.
    const row = db.prepare('SELECT id, pack_id FROM blobs ORDER BY frame_offset DESC, offset_in_frame DESC LIMIT 1').get() as { id: Buffer; pack_id: number };
    db.prepare('UPDATE blobs SET offset_in_frame = offset_in_frame + 1 WHERE id = ?').run(row.id);
    db.close();
    const result = await store(['verify', '--json'], { cwd: work });
    expect(result.status).toBe(8);
    const report = JSON.parse(result.text);
    const mismatches = report.findings.filter((finding: { kind: string }) => finding.kind === 'catalog-mismatch');
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0].blobs).toEqual([row.id.toString('hex')]);
    await storeOk(['repair'], { cwd: work });
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('a truncated pack and a deleted pack: verify reports each with status 8, get fails with status 8', async () => {
    for (const damage of ['truncate', 'delete'] as const) {
      const { work } = await committedRepository();
      const pack = await dataPack(work);
      if (damage === 'truncate') truncateSync(pack.path, Math.floor(statSync(pack.path).size / 2));
      else rmSync(pack.path);
      const result = await store(['verify', '--json'], { cwd: work });
      expect(result.status, damage).toBe(8);
      const report = JSON.parse(result.text);
      expect(report.findings[0]).toMatchObject({ kind: damage === 'truncate' ? 'damaged-pack' : 'missing-pack', pack: pack.name });
      expect(report.affected.map((item: { path: string }) => item.path)).toContain('data.bin');
      const get = await store(['get', 'data.bin'], { cwd: work });
      expect(get.status).toBe(8);
      expect(get.stderr).toContain(pack.name);
    }
  });

  it('a damaged catalog: commands fail with status 8 and a hint; repair rebuilds it from the packs', async () => {
    const { work, data, commit } = await committedRepository();
    rmSync(join(work, '.store/catalog.sqlite-wal'), { force: true });
    rmSync(join(work, '.store/catalog.sqlite-shm'), { force: true });
    writeFileSync(join(work, '.store/catalog.sqlite'), Buffer.alloc(8192, 0x5a));
    const broken = await store(['get', 'data.bin'], { cwd: work });
    expect(broken.status).toBe(8);
    expect(broken.stderr).toContain('store repair');
    expect((await store(['verify'], { cwd: work })).status).toBe(8);
    const repaired = await storeJson<{ commitsIndexed: number; stillBroken: unknown[] }>(['repair'], { cwd: work });
    expect(repaired).toMatchObject({ commitsIndexed: 1, stillBroken: [] });
    expect((await storeOk(['get', 'data.bin', '--at', commit], { cwd: work })).stdout.equals(data)).toBe(true);
    expect((await storeOk(['verify', '--read-data'], { cwd: work })).text).toContain('ok');
  });

  it('a deleted catalog: repair rebuilds it and every commit restores', async () => {
    const { work, data } = await committedRepository();
    writeFileSync(join(work, 'note.txt'), 'second version\n');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'two'], { cwd: work });
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `.store/catalog.sqlite${suffix}`), { force: true });
    const missing = await store(['log'], { cwd: work });
    expect(missing.status).toBe(8);
    expect(missing.stderr).toContain('store repair');
    await storeOk(['repair'], { cwd: work });
    expect(await storeJson<unknown[]>(['log'], { cwd: work })).toHaveLength(2);
    expect((await storeOk(['get', 'note.txt', '--at', 'HEAD~1'], { cwd: work })).text).toBe('a note\n');
    expect((await storeOk(['get', 'note.txt'], { cwd: work })).text).toBe('second version\n');
    expect((await storeOk(['get', 'data.bin'], { cwd: work })).stdout.equals(data)).toBe(true);
  });

  it('repair heals lost chunks from work-tree files that still have the same content', async () => {
    const { work, data } = await committedRepository();
    rmSync((await dataPack(work)).path);
    expect((await store(['get', 'data.bin'], { cwd: work })).status).toBe(8);
    const report = await storeJson<{ healed: string[]; stillBroken: unknown[] }>(['repair'], { cwd: work });
    expect(report.healed).toContain('data.bin');
    expect(report.stillBroken).toEqual([]);
    expect((await storeOk(['get', 'data.bin'], { cwd: work })).stdout.equals(data)).toBe(true);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('a damaged staging file: status 8 naming it; verify finds it; reset rebuilds it from HEAD', async () => {
    const { work } = await committedRepository();
    const path = join(work, '.store/staging');
    const bytes = readFileSync(path);
    bytes[40]! ^= 0x01;
    writeFileSync(path, bytes);
    const status = await store(['status', '--json'], { cwd: work });
    expect(status.status).toBe(8);
    expect(JSON.parse(status.text).error).toMatchObject({ code: 'CORRUPT_STAGING' });
    const verify = await store(['verify', '--json'], { cwd: work });
    expect(verify.status).toBe(8);
    expect(JSON.parse(verify.text).findings).toContainEqual(expect.objectContaining({ kind: 'corrupt-staging' }));
    await storeOk(['reset'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
  });

  it('status checks a staging file whole once, records it, and checks it whole again once it is written to', async () => {
    const { work } = await committedRepository();
    const path = join(work, '.store/staging');
    const recordPath = join(work, '.store/staging-checked');
    // Not recorded while the file's ctime lies within the racy slack (50 ms) of the check.
    await new Promise((done) => setTimeout(done, 150));
    expect((await store(['status', '--porcelain'], { cwd: work })).status).toBe(0);
    const stagingBytes = readFileSync(path);
    expect(readFileSync(recordPath).equals(checkedStampRecord(statSync(path, { bigint: true }), stagingBytes))).toBe(true);

    // A write moves the ctime: the record no longer matches, and the damage is found.
    const damaged = Buffer.from(stagingBytes);
    damaged[77]! ^= 0x01; // within the first entry's file id
    writeFileSync(path, damaged);
    const status = await store(['status', '--json'], { cwd: work });
    expect(status.status).toBe(8);
    expect(JSON.parse(status.text).error).toMatchObject({ code: 'CORRUPT_STAGING' });

    // A record that matches (forged here) is trusted by status: the check is skipped. verify checks whole.
    writeFileSync(recordPath, checkedStampRecord(statSync(path, { bigint: true }), damaged));
    expect((await store(['status', '--porcelain'], { cwd: work })).status).toBe(0);
    const verify = await store(['verify', '--json'], { cwd: work });
    expect(verify.status).toBe(8);
    expect(JSON.parse(verify.text).findings).toContainEqual(expect.objectContaining({ kind: 'corrupt-staging' }));
  });
});

describe('gc', () => {
  it('frees chunks of content re-added before commit; --dry-run changes nothing; everything still restores', async () => {
    const { work, data } = await committedRepository();
    writeFileSync(join(work, 'temp.bin'), pseudoRandomBytes(800 * KiB, 5));
    await storeOk(['add', '-A'], { cwd: work });
    writeFileSync(join(work, 'temp.bin'), 'replaced before commit');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'two'], { cwd: work });
    const before = (await storeJson<{ storedBytes: number }>(['stats'], { cwd: work })).storedBytes;
    const dry = await storeJson<{ deadRawBytes: number; bytesFreed: number; dryRun: boolean }>(['gc', '--dry-run'], { cwd: work });
    expect(dry.dryRun).toBe(true);
    expect(dry.deadRawBytes).toBeGreaterThanOrEqual(800 * KiB);
    expect((await storeJson<{ storedBytes: number }>(['stats'], { cwd: work })).storedBytes).toBe(before);
    const done = await storeJson<{ bytesFreed: number; deadBlobCount: number }>(['gc'], { cwd: work });
    expect(done.bytesFreed).toBeGreaterThanOrEqual(800 * KiB);
    const after = (await storeJson<{ storedBytes: number }>(['stats'], { cwd: work })).storedBytes;
    expect(before - after).toBe(done.bytesFreed);
    expect((await storeJson<{ deadBlobCount: number }>(['gc', '--dry-run'], { cwd: work })).deadBlobCount).toBe(0);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['get', 'data.bin', '--at', 'HEAD~1'], { cwd: work })).stdout.equals(data)).toBe(true);
    expect((await storeOk(['get', 'temp.bin'], { cwd: work })).text).toBe('replaced before commit');
  });

  it('rewrites a pack that is mostly dead, keeping its live blobs', async () => {
    const work = temporaryDirectory();
    const keep = pseudoRandomBytes(100 * KiB, 41);
    writeFileSync(join(work, 'keep.bin'), keep);
    writeFileSync(join(work, 'drop.bin'), pseudoRandomBytes(900 * KiB, 42));
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work }); // one pack holds both files
    rmSync(join(work, 'drop.bin'));
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'only keep.bin'], { cwd: work });
    const report = await storeJson<{ packsRewritten: string[]; packsDeleted: string[]; bytesFreed: number }>(['gc'], { cwd: work });
    expect(report.packsRewritten).toHaveLength(1);
    expect(report.bytesFreed).toBeGreaterThan(850 * KiB);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['get', 'keep.bin'], { cwd: work })).stdout.equals(keep)).toBe(true);
  });

  it('reset unstages and rm removes, like git', async () => {
    const { work } = await committedRepository();
    writeFileSync(join(work, 'note.txt'), 'changed');
    writeFileSync(join(work, 'new.txt'), 'new');
    await storeOk(['add', '-A'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('A  new.txt\nM  note.txt\n');
    await storeOk(['reset', 'note.txt'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('A  new.txt\n M note.txt\n');
    await storeOk(['reset'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M note.txt\n?? new.txt\n');
    await storeOk(['rm', 'data.bin'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  data.bin\n M note.txt\n?? new.txt\n');
    expect(() => statSync(join(work, 'data.bin'))).toThrow();
    const untracked = await store(['rm', '--cached', 'new.txt'], { cwd: work });
    expect(untracked.status).toBe(5);
    expect(untracked.stderr).toContain('did not match any tracked files');
  });
});

describe('bad input', () => {
  it('a full disk in the middle of a write leaves the repository as it was', async () => {
    const { work, data } = await committedRepository();
    const stagingBefore = readFileSync(join(work, '.store/staging'));
    writeFileSync(join(work, 'big.bin'), pseudoRandomBytes(3 * 1024 * KiB, 8));
    const result = await store(['add', '-A'], { cwd: work, env: { STORE_FAULT_ENOSPC_AFTER_BYTES: String(1024 * KiB) } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ENOSPC');
    expect(result.stderr).toContain('repository is unchanged');
    expect(readdirSync(join(work, '.store/tmp'))).toEqual([]); // the unsealed pack is gone
    expect(readFileSync(join(work, '.store/staging')).equals(stagingBefore)).toBe(true);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['get', 'data.bin'], { cwd: work })).stdout.equals(data)).toBe(true);
    await storeOk(['add', '-A'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('A  big.bin\n');
  });

  it('a file that keeps changing while it is read is reported, not stored half-old (status 9)', async () => {
    const work = temporaryDirectory();
    await storeOk(['init'], { cwd: work });
    const path = join(work, 'moving.bin');
    // 64 MiB: large enough to be hashed on the hashing thread.
    writeFileSync(path, pseudoRandomBytes(64 * 1024 * KiB, 3));
    const growing = join(work, 'growing.bin');
    writeFileSync(growing, pseudoRandomBytes(64 * 1024 * KiB, 4));
    writeFileSync(join(work, 'still.txt'), 'still');
    // A second process touches one file's times and appends to the other continuously while store reads them.
    const toucher = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');let i=0;setInterval(()=>{const t=new Date(Date.now()+(++i)*1000);fs.utimesSync(${JSON.stringify(path)},t,t);fs.appendFileSync(${JSON.stringify(growing)},'x')},1)`,
    ]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const result = await store(['add', '-A', '--json'], { cwd: work });
      expect(result.status).toBe(9);
      const report = JSON.parse(result.text);
      expect(report.failed).toContainEqual({ path: 'moving.bin', reason: 'changed while being read (3 attempts)' });
      expect(report.failed).toContainEqual({ path: 'growing.bin', reason: 'changed while being read (3 attempts)' });
      expect(report.added).toEqual(['still.txt']);
    } finally {
      toucher.kill('SIGKILL');
    }
  });
});

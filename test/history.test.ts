import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pseudoRandomBytes, repoWith, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

describe('checkout', () => {
  it('restores a whole commit into a directory: bytes, executable bit, symlinks and modification times', async () => {
    const big = pseudoRandomBytes(3 * 1024 * 1024, 4);
    const work = temporaryDirectory();
    mkdirSync(join(work, 'bin'));
    writeFileSync(join(work, 'bin/run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(work, 'bin/run.sh'), 0o755);
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'empty'), '');
    symlinkSync('big.bin', join(work, 'link'));
    const when = new Date('2020-02-02T02:02:02.123Z');
    utimesSync(join(work, 'big.bin'), when, when);
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    const { commitId } = await storeJson<{ commitId: string }>(['commit', '-m', 'snap'], { cwd: work });
    const out = join(temporaryDirectory(), 'restored');
    const result = await storeJson<{ written: string[] }>(['checkout', commitId.slice(0, 10), '-o', out], { cwd: work });
    expect(result.written.sort()).toEqual(['big.bin', 'bin/run.sh', 'empty', 'link']);
    expect(readFileSync(join(out, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(out, 'empty')).length).toBe(0);
    expect(lstatSync(join(out, 'bin/run.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(out, 'big.bin')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(out, 'link'))).toBe('big.bin');
    expect(lstatSync(join(out, 'big.bin')).mtime.getTime()).toBe(when.getTime());
    const subtree = join(temporaryDirectory(), 'sub');
    expect((await storeJson<{ written: string[] }>(['checkout', 'HEAD', 'bin', '-o', subtree], { cwd: work })).written).toEqual(['bin/run.sh']);
  });

  it('restores the modification time of every file, whatever the order of its path in the tree and in bytes', async () => {
    // Tree order and path byte order differ here ('a/b' is walked before 'a.txt', but sorts after it).
    const paths = ['a-b', 'a.txt', 'a/b', 'a/c/d', 'é', 'z/😀', 'zz'];
    const work = temporaryDirectory();
    paths.forEach((path, index) => {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), path);
      const when = new Date(Date.UTC(2001, 0, 1 + index, 1, 2, 3, 400 + index));
      utimesSync(join(work, path), when, when);
    });
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'times'], { cwd: work });
    const out = join(temporaryDirectory(), 'restored');
    await storeOk(['checkout', 'HEAD', '-o', out], { cwd: work });
    paths.forEach((path, index) => {
      expect(readFileSync(join(out, path), 'utf8')).toBe(path);
      expect(lstatSync(join(out, path)).mtime.getTime(), path).toBe(Date.UTC(2001, 0, 1 + index, 1, 2, 3, 400 + index));
    });
  });

  it('restores paths into the work tree, refusing to overwrite uncommitted changes unless --force', async () => {
    const work = await repoWith({ 'a.txt': 'one', 'b.txt': 'b' });
    writeFileSync(join(work, 'a.txt'), 'two');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'second'], { cwd: work });
    writeFileSync(join(work, 'a.txt'), 'uncommitted');
    const refused = await store(['checkout', 'HEAD~1', 'a.txt', '--json'], { cwd: work });
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.text).error.code).toBe('UNCOMMITTED_CHANGES');
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('uncommitted');
    await storeOk(['checkout', 'HEAD~1', 'a.txt', '--force'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('one');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  a.txt\n'); // staged: differs from HEAD
  });

  it('restores many files on worker threads, byte-exact, and reports damage with status 8', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 150; i++) files[`d${i % 7}/f${i}.bin`] = pseudoRandomBytes(1000 + i * 37, 900 + i);
    // Large enough to be written around the page cache (on a worker thread), with a tail of no whole block.
    files['large.bin'] = pseudoRandomBytes(20 * 1024 * 1024 + 37, 950);
    const work = await repoWith(files);
    const out = join(temporaryDirectory(), 'out');
    expect((await storeJson<{ written: string[] }>(['checkout', 'HEAD', '-o', out], { cwd: work })).written).toHaveLength(151);
    for (const [path, bytes] of Object.entries(files)) expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);
    // Damage the largest pack: the restore fails with the corruption's own status, naming the pack.
    const packs = readdirSync(join(work, '.store/packs'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.pack'));
    const largest = packs.map((name) => join(work, '.store/packs', name)).sort((a, b) => lstatSync(b).size - lstatSync(a).size)[0]!;
    const bytes = readFileSync(largest);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(largest, bytes);
    const failed = await store(['checkout', 'HEAD', '-o', join(temporaryDirectory(), 'out2')], { cwd: work });
    expect(failed.status).toBe(8);
    expect(failed.stderr).toContain('pack');
  });
});

describe('branches, tags and switch', () => {
  it('creates, lists and deletes branches and tags; switch moves HEAD and the work tree', async () => {
    const work = await repoWith({ 'f.txt': 'main version', 'common.txt': 'same' });
    await storeOk(['tag', 'v1'], { cwd: work });
    await storeOk(['switch', '-c', 'feature'], { cwd: work });
    writeFileSync(join(work, 'f.txt'), 'feature version');
    writeFileSync(join(work, 'only-feature.txt'), 'new');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'on feature'], { cwd: work });
    expect((await storeJson<{ name: string; current: boolean }[]>(['branch'], { cwd: work })).map((b) => `${b.current ? '*' : ''}${b.name}`)).toEqual([
      '*feature',
      'main',
    ]);
    await storeOk(['switch', 'main'], { cwd: work });
    expect(readFileSync(join(work, 'f.txt'), 'utf8')).toBe('main version');
    expect(() => lstatSync(join(work, 'only-feature.txt'))).toThrow();
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect((await storeOk(['get', 'f.txt', '--at', 'feature'], { cwd: work })).text).toBe('feature version');
    expect((await storeOk(['get', 'f.txt', '--at', 'v1'], { cwd: work })).text).toBe('main version');
    writeFileSync(join(work, 'f.txt'), 'dirty');
    expect((await store(['switch', 'feature'], { cwd: work })).status).toBe(1);
    await storeOk(['switch', 'feature', '--force'], { cwd: work });
    expect(readFileSync(join(work, 'f.txt'), 'utf8')).toBe('feature version');
    expect((await store(['branch', 'feature'], { cwd: work })).status).toBe(4);
    expect((await store(['branch', '-d', 'feature'], { cwd: work })).status).toBe(2); // current branch
    await storeOk(['switch', 'main'], { cwd: work });
    await storeOk(['tag', 'feature-tip', 'feature'], { cwd: work });
    // main's history does not hold feature's commit: -d keeps it, -D deletes it (as in git).
    const unmerged = await store(['branch', '-d', 'feature', '--json'], { cwd: work });
    expect(unmerged.status).toBe(1);
    expect(JSON.parse(unmerged.text).error.code).toBe('NOT_MERGED');
    expect((await storeJson<{ name: string }[]>(['branch'], { cwd: work })).map((b) => b.name)).toEqual(['feature', 'main']);
    await storeOk(['branch', 'merged'], { cwd: work });
    await storeOk(['branch', '-d', 'merged'], { cwd: work }); // at HEAD: held by its history
    await storeOk(['branch', '-D', 'feature'], { cwd: work });
    expect((await storeJson<{ name: string }[]>(['tag'], { cwd: work })).map((t) => t.name)).toEqual(['feature-tip', 'v1']);
    await storeOk(['gc'], { cwd: work }); // the tag keeps the feature commit
    expect((await storeOk(['get', 'only-feature.txt', '--at', 'feature-tip'], { cwd: work })).text).toBe('new');
    expect((await store(['branch', 'bad..name'], { cwd: work })).status).toBe(2);
    await storeOk(['checkout', '-b', 'topic'], { cwd: work });
    expect((await storeJson<{ name: string; current: boolean }[]>(['branch'], { cwd: work })).find((b) => b.current)?.name).toBe('topic');
    expect(readFileSync(join(work, '.store/HEAD'), 'utf8')).toBe('ref: refs/heads/topic\n');
  });
});

describe('switch and the work tree', () => {
  it('--force discards changes even to files both branches share; untracked files in the way stop it; emptied directories go', async () => {
    const work = await repoWith({ 'shared.txt': 'shared\n' });
    await storeOk(['switch', '-c', 'other'], { cwd: work });
    mkdirSync(join(work, 'dir/deep'), { recursive: true });
    writeFileSync(join(work, 'dir/deep/f.txt'), 'f');
    writeFileSync(join(work, 'theirs.txt'), 'theirs');
    writeFileSync(join(work, 'file-there'), 'a file');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'other'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    expect(readdirSync(work).sort()).toEqual(['.store', 'shared.txt']); // dir/ and dir/deep/ went with their files

    // A change to a file both branches hold: refused, then discarded by --force, never recorded as clean.
    writeFileSync(join(work, 'shared.txt'), 'shared\nmine\n');
    expect((await store(['switch', 'other'], { cwd: work })).status).toBe(1);
    await storeOk(['switch', 'other', '--force'], { cwd: work });
    expect(readFileSync(join(work, 'shared.txt'), 'utf8')).toBe('shared\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    await storeOk(['switch', 'main'], { cwd: work });

    // Untracked files where the other branch has a file (with other content), a directory, or a file over a directory.
    const refused = async (setUp: () => void, named: string): Promise<void> => {
      setUp();
      const result = await store(['switch', 'other', '--json'], { cwd: work });
      expect(result.status, named).toBe(1);
      expect(JSON.parse(result.text).error).toMatchObject({ code: 'UNCOMMITTED_CHANGES', message: `checkout would overwrite untracked files:\n    ${named}` });
    };
    await refused(() => writeFileSync(join(work, 'theirs.txt'), 'mine'), 'theirs.txt');
    expect(readFileSync(join(work, 'theirs.txt'), 'utf8')).toBe('mine');
    writeFileSync(join(work, 'theirs.txt'), 'theirs'); // the same content is no loss
    await refused(() => writeFileSync(join(work, 'dir'), 'a file where a directory goes'), 'dir');
    rmSync(join(work, 'dir'));
    await refused(() => {
      mkdirSync(join(work, 'file-there'));
      writeFileSync(join(work, 'file-there/kept.txt'), 'kept');
    }, 'file-there/kept.txt');
    expect(readFileSync(join(work, 'file-there/kept.txt'), 'utf8')).toBe('kept');
    rmSync(join(work, 'file-there'), { recursive: true });
    await storeOk(['switch', 'other'], { cwd: work });
    expect(readFileSync(join(work, 'dir/deep/f.txt'), 'utf8')).toBe('f');

    // store rm takes the directories it empties too.
    await storeOk(['rm', '-r', 'dir'], { cwd: work });
    expect(readdirSync(work).sort()).toEqual(['.store', 'file-there', 'shared.txt', 'theirs.txt']);
  });
});

describe('diff', () => {
  it('compares work tree, staging area and commits, with --name-status, --stat and --json', async () => {
    const work = await repoWith({ 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    writeFileSync(join(work, 'a.txt'), 'a changed');
    await storeOk(['add', 'a.txt'], { cwd: work });
    writeFileSync(join(work, 'b.txt'), 'b changed, not staged');
    expect((await storeOk(['diff', '--name-status'], { cwd: work })).text).toBe('M\tb.txt\n');
    expect((await storeOk(['diff', '--staged', '--name-status'], { cwd: work })).text).toBe('M\ta.txt\n');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['rm', 'c.txt'], { cwd: work });
    writeFileSync(join(work, 'd.txt'), 'new file');
    await storeOk(['add', 'd.txt'], { cwd: work });
    await storeOk(['commit', '-m', 'second'], { cwd: work });
    expect((await storeOk(['diff', 'HEAD~1', 'HEAD', '--name-status'], { cwd: work })).text).toBe('M\ta.txt\nM\tb.txt\nD\tc.txt\nA\td.txt\n');
    const json = await storeJson<{ path: string; change: string; oldSizeBytes?: number; newSizeBytes?: number }[]>(['diff', 'HEAD~1', 'HEAD'], { cwd: work });
    expect(json[0]).toMatchObject({ path: 'a.txt', change: 'modified', oldSizeBytes: 1, newSizeBytes: 9 });
    expect(json[3]).toMatchObject({ path: 'd.txt', change: 'added', newSizeBytes: 8 });
    const stat = (await storeOk(['diff', 'HEAD~1', 'HEAD', '--stat'], { cwd: work })).text;
    expect(stat).toContain(' 4 files changed, 3 insertions(+), 3 deletions(-)\n');
    expect((await storeOk(['diff'], { cwd: work })).text).toBe('');
  });

  it('the work tree against the staging area: deleted, modified, a file turned directory, a tracked file now ignored; untracked files are no change', async () => {
    const work = await repoWith({ 'a.txt': 'a', 'd/gone.txt': 'g', 'd/same.txt': 's', 'd/edit.txt': 'e', e: 'e', 'ignored.txt': 'i', 'z/deep/f': 'f' });
    rmSync(join(work, 'd/gone.txt'));
    writeFileSync(join(work, 'd/edit.txt'), 'edited');
    rmSync(join(work, 'e'));
    mkdirSync(join(work, 'e'));
    writeFileSync(join(work, 'e/inner'), 'inner');
    writeFileSync(join(work, '.storeignore'), 'ignored.txt\n');
    writeFileSync(join(work, 'ignored.txt'), 'changed while ignored');
    writeFileSync(join(work, 'z/deep/new'), 'untracked');
    expect((await storeOk(['diff', '--name-status'], { cwd: work })).text).toBe('M\td/edit.txt\nD\td/gone.txt\nD\te\nM\tignored.txt\n');
    expect((await storeOk(['diff', 'HEAD', '--name-status'], { cwd: work })).text).toBe('M\td/edit.txt\nD\td/gone.txt\nD\te\nM\tignored.txt\n');
  });
});

describe('Merkle proofs', () => {
  it('a valid proof verifies without the repository; any tampering, other path, file id or commit fails', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`data/f${i}.txt`] = `file ${i}`;
    files['top.txt'] = 'top';
    const work = await repoWith(files);
    const commitId = (await storeJson<{ commitId: string }[]>(['log'], { cwd: work }))[0]!.commitId;
    const proofText = (await storeOk(['proof', 'data/f123.txt'], { cwd: work })).text;
    const proof = JSON.parse(proofText);
    expect(proof.levels).toHaveLength(2);
    expect(proof.levels[1].siblings.length).toBeLessThanOrEqual(Math.ceil(Math.log2(1000))); // log, not linear
    expect(proofText.length).toBeLessThan(4000);
    const elsewhere = temporaryDirectory();
    const check = async (p: unknown, commit = commitId): Promise<number> => {
      writeFileSync(join(elsewhere, 'p.json'), JSON.stringify(p));
      return (await store(['proof', 'verify', join(elsewhere, 'p.json'), commit], { cwd: elsewhere })).status;
    };
    expect(await check(proof)).toBe(0);
    expect(await check(proof, 'f'.repeat(64))).toBe(8);
    expect(await check({ ...proof, path: 'data/f124.txt' })).toBe(8);
    expect(await check({ ...proof, fileId: 'a'.repeat(64) })).toBe(8);
    expect(await check({ ...proof, commitId: 'b'.repeat(64) })).toBe(8);
    const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    expect(
      await check({
        ...proof,
        levels: [proof.levels[0], { ...proof.levels[1], siblings: [flip(proof.levels[1].siblings[0]), ...proof.levels[1].siblings.slice(1)] }],
      }),
    ).toBe(8);
    expect(await check({ ...proof, levels: [proof.levels[0], { ...proof.levels[1], index: proof.levels[1].index + 1 }] })).toBe(8);
    expect(await check({ ...proof, levels: [proof.levels[0], { ...proof.levels[1], entry: flip(proof.levels[1].entry) }] })).toBe(8);
    const commitBytes = Buffer.from(proof.commit, 'base64');
    commitBytes[commitBytes.length - 1] ^= 1;
    expect(await check({ ...proof, commit: commitBytes.toString('base64') })).toBe(8);
    const top = JSON.parse((await storeOk(['proof', 'top.txt'], { cwd: work })).text);
    expect(await check(top)).toBe(0);
    expect((await store(['proof', 'data'], { cwd: work })).status).toBe(5);
  });
});

describe('stats report', () => {
  it('shows what each commit added, chunk sizes, the largest stored files and pack fill', async () => {
    // Added separately, so that no frame holds both random and repetitive bytes: a chunk's stored
    // bytes are its share of its frame, and a frame is compressed as one.
    const big = pseudoRandomBytes(2 * 1024 * 1024, 31);
    const work = await repoWith({ 'text.txt': 'hello '.repeat(20000) });
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'more.bin'), pseudoRandomBytes(300 * 1024, 32));
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'second'], { cwd: work });
    const stats = await storeJson<{
      commits: { message: string; newChunkBytes: number }[];
      chunkSizeHistogram: { count: number; bytes: number }[];
      largestStoredFiles: { path: string; storedBytes: number; logicalBytes: number }[];
      uniqueChunkBytes: number;
      packCount: number;
      packFill: number;
    }>(['stats'], { cwd: work });
    expect(stats.commits.map((commit) => commit.message)).toEqual(['first', 'second']);
    expect(stats.commits[1]!.newChunkBytes).toBe(big.length + 300 * 1024);
    expect(stats.commits[0]!.newChunkBytes + stats.commits[1]!.newChunkBytes).toBe(stats.uniqueChunkBytes);
    expect(stats.chunkSizeHistogram.reduce((sum, bucket) => sum + bucket.bytes, 0)).toBe(stats.uniqueChunkBytes);
    expect(stats.largestStoredFiles[0]).toMatchObject({ path: 'big.bin', logicalBytes: big.length });
    expect(stats.largestStoredFiles[0]!.storedBytes).toBeGreaterThanOrEqual(big.length); // random bytes do not shrink
    const text = stats.largestStoredFiles.find((file) => file.path === 'text.txt')!;
    expect(text.storedBytes).toBeLessThan(text.logicalBytes / 10); // repetitive text compresses
    expect(stats.packCount).toBeGreaterThan(0);
    expect(stats.packFill).toBeGreaterThan(0);
    const human = (await storeOk(['stats'], { cwd: work })).text;
    expect(human).toContain('new chunk bytes per commit');
    expect(human).toContain('█');
  });
});

describe('shell completion', () => {
  it('prints bash and zsh set-up', async () => {
    const work = temporaryDirectory();
    for (const shell of ['bash', 'zsh']) {
      const result = await store(['autocomplete', 'script', shell], { cwd: work, env: { HOME: work, XDG_CACHE_HOME: join(work, '.cache') } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.text).toContain('store autocomplete setup');
    }
  });
});

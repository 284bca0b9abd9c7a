import { appendFileSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeStaging } from '../src/staging/staging-format.js';
import { store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

async function tree(files: Record<string, string>): Promise<string> {
  const work = temporaryDirectory();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  await storeOk(['init'], { cwd: work });
  return work;
}

async function stagedPaths(work: string): Promise<string[]> {
  return (await storeJson<{ staged: { path: string }[] }>(['status'], { cwd: work })).staged.map((item) => item.path);
}

describe('.storeignore', () => {
  it('follows gitignore semantics: directory patterns, negation, nested files, .store always ignored', async () => {
    const work = await tree({
      '.storeignore': 'build/\n*.log\n!keep.log\n/rootonly.txt\n',
      'build/out.o': 'x',
      'src/build/gen.c': 'x', // build/ matches at any depth
      'src/main.c': 'int main;',
      'src/.storeignore': '*.tmp\n!important.tmp\n',
      'src/a.tmp': 'x',
      'src/important.tmp': 'x',
      'src/rootonly.txt': 'kept: the leading slash anchors to the root',
      'rootonly.txt': 'x',
      'debug.log': 'x',
      'keep.log': 'kept',
      'other.tmp': 'kept: src/.storeignore applies only below src',
    });
    await storeOk(['add', '-A'], { cwd: work });
    expect(await stagedPaths(work)).toEqual([
      '.storeignore',
      'keep.log',
      'other.tmp',
      'src/.storeignore',
      'src/important.tmp',
      'src/main.c',
      'src/rootonly.txt',
    ]);
    const untracked = (await storeJson<{ untracked: string[] }>(['status'], { cwd: work })).untracked;
    expect(untracked).toEqual([]);
  });
});

describe('status', () => {
  it('shows staged, modified, deleted and untracked files, in --porcelain and --json', async () => {
    const work = await tree({ 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    await storeOk(['add', 'a.txt', 'b.txt', 'c.txt'], { cwd: work });
    await storeOk(['commit', '-m', 'base'], { cwd: work });
    writeFileSync(join(work, 'a.txt'), 'a2'); // modified, not staged
    writeFileSync(join(work, 'b.txt'), 'b2'); // modified and staged
    await storeOk(['add', 'b.txt'], { cwd: work });
    rmSync(join(work, 'c.txt')); // deleted, not staged
    writeFileSync(join(work, 'new.txt'), 'n'); // untracked
    writeFileSync(join(work, 'staged-new.txt'), 's');
    await storeOk(['add', 'staged-new.txt'], { cwd: work });
    const porcelain = (await storeOk(['status', '--porcelain'], { cwd: work })).text;
    expect(porcelain).toBe(' M a.txt\nM  b.txt\n D c.txt\nA  staged-new.txt\n?? new.txt\n');
    const json = await storeJson(['status'], { cwd: work });
    expect(json).toMatchObject({
      branch: 'main',
      staged: [
        { path: 'b.txt', change: 'modified' },
        { path: 'staged-new.txt', change: 'added' },
      ],
      unstaged: [
        { path: 'a.txt', change: 'modified' },
        { path: 'c.txt', change: 'deleted' },
      ],
      untracked: ['new.txt'],
    });
    const human = (await storeOk(['status'], { cwd: work })).text;
    expect(human).toContain('Changes to be committed');
    expect(human).toContain('Untracked files');
    // add -A stages the removal too
    await storeOk(['add', '-A'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  a.txt\nM  b.txt\nD  c.txt\nA  new.txt\nA  staged-new.txt\n');
    await storeOk(['commit', '-m', 'all'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect((await storeOk(['status'], { cwd: work })).text).toContain('nothing to commit, working tree clean');
  });

  it('stages the removal of a named path that is gone, and a file replaced by a directory', async () => {
    const work = await tree({ x: 'file first' });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'x is a file'], { cwd: work });
    rmSync(join(work, 'x'));
    mkdirSync(join(work, 'x'));
    writeFileSync(join(work, 'x/inner.txt'), 'now a directory');
    await storeOk(['add', 'x/inner.txt'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  x\nA  x/inner.txt\n');
    await storeOk(['commit', '-m', 'x is a directory'], { cwd: work });
    expect((await storeOk(['get', 'x/inner.txt'], { cwd: work })).text).toBe('now a directory');
    expect((await storeOk(['get', 'x', '--at', 'HEAD~1'], { cwd: work })).text).toBe('file first');
  });

  it('stages the removal of what was under a directory that a file replaced, when the file is added by name', async () => {
    // d.txt sorts between d and d/ in byte order: the entries under d/ are found past it.
    const work = await tree({ 'd/a.txt': 'a', 'd/sub/b.txt': 'b', 'd.txt': 'beside', e: 'e' });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'd is a directory'], { cwd: work });
    rmSync(join(work, 'd'), { recursive: true });
    writeFileSync(join(work, 'd'), 'now a file');
    await storeOk(['add', 'd'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(STATUS_AFTER_DIRECTORY_REPLACED);
    await storeOk(['commit', '-m', 'd is a file'], { cwd: work });
    expect((await storeOk(['get', 'd'], { cwd: work })).text).toBe('now a file');
    expect((await storeOk(['get', 'd.txt'], { cwd: work })).text).toBe('beside');
    expect((await store(['get', 'd/a.txt'], { cwd: work })).status).toBe(5);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
  });
});

const STATUS_AFTER_DIRECTORY_REPLACED = 'A  d\nD  d/a.txt\nD  d/sub/b.txt\n';

describe('log', () => {
  it('supports --oneline, -n and --json', async () => {
    const work = await tree({ 'f.txt': '0' });
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(work, 'f.txt'), String(i));
      await storeOk(['add', '-A'], { cwd: work });
      await storeOk(['commit', '-m', `commit ${i}`, '--author', 'Ada'], { cwd: work });
    }
    const json = await storeJson<{ commitId: string; parentId?: string; author: string; message: string }[]>(['log'], { cwd: work });
    expect(json.map((entry) => entry.message)).toEqual(['commit 3', 'commit 2', 'commit 1']);
    expect(json[0]!.parentId).toBe(json[1]!.commitId);
    expect(json[2]!.parentId).toBeUndefined();
    expect(json[0]!.author).toBe('Ada');
    const oneline = (await storeOk(['log', '--oneline', '-n', '2'], { cwd: work })).text;
    expect(oneline).toBe(`${json[0]!.commitId.slice(0, 12)} (HEAD -> main) commit 3\n${json[1]!.commitId.slice(0, 12)} commit 2\n`);
    expect((await storeOk(['log'], { cwd: work })).text).toContain(`commit ${json[2]!.commitId}`);
    expect(await storeJson(['log'], { cwd: await tree({}) })).toEqual([]);
  });
});

describe('writer lock', () => {
  it('status writes back the stat data of files it re-read and found unchanged, only when it may', async () => {
    const work = await tree({ 'a.txt': 'a', 'b.txt': 'b', 'r.txt': 'r' });
    const stagingPath = join(work, '.store/staging');
    const stagedMtime = (path: string): bigint => decodeStaging(readFileSync(stagingPath), stagingPath).entries.find((entry) => entry.path === path)!.mtimeNs;
    const diskMtime = (path: string): bigint => lstatSync(join(work, path), { bigint: true }).mtimeNs;
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'base'], { cwd: work });

    // Touched (stat data changed, content the same): still clean, and the new stat data are recorded.
    utimesSync(join(work, 'a.txt'), 1_600_000_000.5, 1_600_000_000.5);
    expect(stagedMtime('a.txt')).not.toBe(diskMtime('a.txt'));
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect(stagedMtime('a.txt')).toBe(diskMtime('a.txt'));

    // --no-refresh leaves the staging area as it was.
    utimesSync(join(work, 'b.txt'), 1_600_000_100, 1_600_000_100);
    let before = readFileSync(stagingPath);
    expect((await storeOk(['status', '--porcelain', '--no-refresh'], { cwd: work })).text).toBe('');
    expect(readFileSync(stagingPath).equals(before)).toBe(true);

    // Another writer holds the lock: status neither waits for it nor writes, and still answers.
    writeFileSync(join(work, '.store/lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect(readFileSync(stagingPath).equals(before)).toBe(true);
    rmSync(join(work, '.store/lock'));

    // An entry suspect by its time (mtime at or after the staging area's) that changed: rewriting the
    // staging area with a later time would hide it, so nothing is written, and it shows as modified.
    const future = Date.now() / 1000 + 3600;
    utimesSync(join(work, 'r.txt'), future, future);
    await storeOk(['add', 'r.txt'], { cwd: work });
    appendFileSync(join(work, 'r.txt'), 'changed');
    utimesSync(join(work, 'r.txt'), future, future);
    before = readFileSync(stagingPath);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M r.txt\n');
    expect(readFileSync(stagingPath).equals(before)).toBe(true);

    // Once it is staged again, b.txt's new stat data are written back.
    await storeOk(['add', 'r.txt'], { cwd: work });
    utimesSync(join(work, 'b.txt'), 1_600_000_200, 1_600_000_200);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  r.txt\n');
    expect(stagedMtime('b.txt')).toBe(diskMtime('b.txt'));
  });

  it('a second writer waits, then fails with "locked by PID on HOST since TIME" (status 7)', async () => {
    const work = await tree({ 'a.txt': 'a' });
    writeFileSync(join(work, '.store/lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const started = Date.now();
    const result = await store(['add', '-A'], { cwd: work, env: { STORE_LOCK_TIMEOUT_MS: '300' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.status).toBe(7);
    expect(result.stderr).toContain(`locked by PID ${process.pid} on ${hostname()} since 2026-01-01T00:00:00.000Z`);
    // Readers do not take the lock.
    expect((await store(['status'], { cwd: work })).status).toBe(0);
    rmSync(join(work, '.store/lock'));
  });

  it('switch, with or without -c, moves HEAD only under the lock: a held lock leaves HEAD as it was', async () => {
    const work = await tree({ 'a.txt': 'a' });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    await storeOk(['branch', 'other'], { cwd: work });
    const head = readFileSync(join(work, '.store/HEAD'), 'utf8');
    writeFileSync(join(work, '.store/lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const env = { STORE_LOCK_TIMEOUT_MS: '200' };
    expect((await store(['switch', '-c', 'topic'], { cwd: work, env })).status).toBe(7);
    expect((await store(['switch', 'other'], { cwd: work, env })).status).toBe(7);
    expect(readFileSync(join(work, '.store/HEAD'), 'utf8')).toBe(head);
    expect((await store(['branch'], { cwd: work })).text).not.toContain('topic');
    rmSync(join(work, '.store/lock'));
    await storeOk(['switch', 'other'], { cwd: work });
    expect(readFileSync(join(work, '.store/HEAD'), 'utf8')).toBe('ref: refs/heads/other\n');
  });

  it('a lock left by a dead process is taken over with a message', async () => {
    const work = await tree({ 'a.txt': 'a' });
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(join(work, '.store/lock'), JSON.stringify({ pid: deadPid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const result = await store(['add', '-A'], { cwd: work });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`removed a stale lock left by PID ${deadPid}`);
    expect(await stagedPaths(work)).toEqual(['a.txt']);
  });
});

describe('symlinks', () => {
  it('symlinked directories are stored as links, never followed', async () => {
    const work = await tree({ 'real/file.txt': 'inside' });
    symlinkSync('real', join(work, 'alias'));
    await storeOk(['add', '-A'], { cwd: work });
    expect(await stagedPaths(work)).toEqual(['alias', 'real/file.txt']);
    await storeOk(['commit', '-m', 'links'], { cwd: work });
    expect((await storeOk(['get', 'alias'], { cwd: work })).text).toBe('real');
    expect((await store(['get', 'alias/file.txt'], { cwd: work })).status).toBe(5);
  });

  it('a tracked directory replaced by a symlink: what is beyond it is not read, nor written, and a loop is no error', async () => {
    const work = await tree({ 'd/f': 'inside', 'loop/x': 'x' });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'directories'], { cwd: work });
    const outside = temporaryDirectory();
    writeFileSync(join(outside, 'f'), 'outside');
    rmSync(join(work, 'd'), { recursive: true });
    symlinkSync(outside, join(work, 'd'));
    rmSync(join(work, 'loop'), { recursive: true });
    symlinkSync('loop', join(work, 'loop')); // loop/x: ELOOP
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' D d/f\n D loop/x\n?? d\n?? loop\n');
    const added = await storeJson<{ added: string[]; modified: string[]; removed: string[] }>(['add', '-A'], { cwd: work });
    expect(added).toMatchObject({ added: ['d', 'loop'], modified: [], removed: ['d/f', 'loop/x'] });
    await storeOk(['commit', '-m', 'links'], { cwd: work });
    // Checking d/f out again replaces the link with a directory; nothing is written through it.
    await storeOk(['checkout', 'HEAD~1', '--', 'd/f'], { cwd: work });
    expect(readFileSync(join(outside, 'f'), 'utf8')).toBe('outside');
    expect(lstatSync(join(work, 'd')).isDirectory()).toBe(true);
    expect(readFileSync(join(work, 'd/f'), 'utf8')).toBe('inside');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  d\nA  d/f\n');
    // Naming a path beyond a symlink is an error, as in git; beyond a file, it matches nothing.
    symlinkSync(outside, join(work, 'link'));
    const beyond = await store(['add', 'link/f', '--json'], { cwd: work });
    expect(beyond.status).toBe(2);
    expect(JSON.parse(beyond.text).error).toMatchObject({ code: 'INVALID_ARGUMENT', message: "pathspec 'link/f' is beyond a symbolic link (link)" });
    expect((await store(['add', 'd/f/g'], { cwd: work })).status).toBe(5);
  });
});

describe('a staging area larger than one 64 KiB piece', () => {
  it('survives switch, reset, rm and add: status stays clean and names each change', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) files[`dir${i % 7}/a-fairly-long-file-name-${String(i).padStart(5, '0')}.txt`] = `content ${i}\n`;
    const work = await tree(files);
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    expect(readFileSync(join(work, '.store', 'staging')).length).toBeGreaterThan(2 * 64 * 1024);
    await storeOk(['switch', '-c', 'side'], { cwd: work });
    appendFileSync(join(work, 'dir3/a-fairly-long-file-name-00003.txt'), 'more\n');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'two'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    expect(readFileSync(join(work, 'dir3/a-fairly-long-file-name-00003.txt'), 'utf8')).toBe('content 3\n');
    const clean = await storeJson<{ staged: unknown[]; unstaged: unknown[]; untracked: unknown[] }>(['status'], { cwd: work });
    expect([clean.staged, clean.unstaged, clean.untracked]).toEqual([[], [], []]);
    await storeOk(['switch', 'side'], { cwd: work });
    await storeOk(['rm', 'dir0/a-fairly-long-file-name-00000.txt'], { cwd: work });
    await storeOk(['reset', 'dir0/a-fairly-long-file-name-00007.txt'], { cwd: work });
    const after = await storeJson<{ staged: { path: string; change: string }[] }>(['status'], { cwd: work });
    expect(after.staged).toEqual([{ path: 'dir0/a-fairly-long-file-name-00000.txt', change: 'deleted' }]);
    expect((await store(['verify'], { cwd: work })).status).toBe(0);
  });
});

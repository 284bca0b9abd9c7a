import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

/** Issue 20: the commands behave as a git user's fingers expect. */

async function repoWith(files: Record<string, string>): Promise<string> {
  const work = temporaryDirectory();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  await storeOk(['init', '-q'], { cwd: work });
  await storeOk(['add', '-A', '-q'], { cwd: work });
  await storeOk(['commit', '-q', '-m', 'first'], { cwd: work });
  return work;
}

describe('status for scripts and from subdirectories', () => {
  it('--porcelain quotes names as git does, -z separates with NUL unquoted, untracked directories collapse to dir/', async () => {
    const work = await repoWith({ 'a.txt': 'a\n', 'sub/tracked.txt': 't\n' });
    writeFileSync(join(work, 'a.txt'), 'changed\n');
    writeFileSync(join(work, 'new\nline'), '');
    writeFileSync(join(work, 'tab\tname'), '');
    writeFileSync(join(work, 'café'), '');
    mkdirSync(join(work, 'fresh/deep'), { recursive: true });
    writeFileSync(join(work, 'fresh/deep/f'), '');
    writeFileSync(join(work, 'fresh/g'), '');
    writeFileSync(join(work, 'sub/untracked.txt'), '');

    const porcelain = await storeOk(['status', '--porcelain'], { cwd: work });
    expect(porcelain.text).toBe([' M a.txt', '?? "caf\\303\\251"', '?? fresh/', '?? "new\\nline"', '?? sub/untracked.txt', '?? "tab\\tname"', ''].join('\n'));
    const nul = await storeOk(['status', '-z'], { cwd: work });
    expect(nul.stdout.equals(Buffer.from(' M a.txt\0?? café\0?? fresh/\0?? new\nline\0?? sub/untracked.txt\0?? tab\tname\0'))).toBe(true);
    const all = await storeOk(['status', '--porcelain', '-u'], { cwd: work });
    expect(all.text).toContain('?? fresh/deep/f\n?? fresh/g\n');
    expect(all.text).not.toContain('?? fresh/\n');
    const none = await storeOk(['status', '--porcelain', '--untracked-files=no'], { cwd: work });
    expect(none.text).toBe(' M a.txt\n');
  });

  it('in a subdirectory, human and --short paths are relative to it (and work as arguments there); --porcelain and --json stay root-relative', async () => {
    const work = await repoWith({ 'top.txt': 'top\n', 'sub/in.txt': 'in\n' });
    writeFileSync(join(work, 'top.txt'), 'top changed\n');
    writeFileSync(join(work, 'sub/in.txt'), 'in changed\n');
    const sub = join(work, 'sub');
    const short = await storeOk(['status', '-s'], { cwd: sub });
    expect(short.text).toBe(' M in.txt\n M ../top.txt\n'); // in order of the paths from the root, as git's
    const human = await storeOk(['status'], { cwd: sub });
    expect(human.text).toContain('\tmodified:   ../top.txt\n');
    expect(human.text).toContain('\tmodified:   in.txt\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: sub })).text).toBe(' M sub/in.txt\n M top.txt\n');
    const report = await storeJson<{ unstaged: { path: string }[] }>(['status'], { cwd: sub });
    expect(report.unstaged.map((item) => item.path)).toEqual(['sub/in.txt', 'top.txt']);
    // A path copied from the output works as an argument in the same directory.
    await storeOk(['add', '../top.txt'], { cwd: sub });
    expect((await storeOk(['status', '-s'], { cwd: sub })).text).toBe(' M in.txt\nM  ../top.txt\n');
  });
});

describe('--json and exit statuses', () => {
  it('flag, argument and command errors print one JSON document with --json, exit 2, and name the problem without it', async () => {
    const work = await repoWith({ 'a.txt': 'a' });
    const missing = await store(['commit', '--json'], { cwd: work });
    expect(missing.status).toBe(2);
    expect(JSON.parse(missing.text)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'missing required flag message', hint: 'see `store commit --help`' },
    });
    const unknown = await store(['status', '--bogus', '--json'], { cwd: work });
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.text).error.message).toBe('nonexistent flag: --bogus');
    const text = await store(['log', '-n', 'x'], { cwd: work });
    expect(text.status).toBe(2);
    expect(text.text).toBe('');
    expect(text.stderr).toBe('error: parsing --max-count; Expected an integer but received: x\nhint: see `store log --help`\n');
    // An unknown command too, naming the nearest one as git does.
    const typo = await store(['comit', '-m', 'x'], { cwd: work });
    expect(typo.status).toBe(2);
    expect(typo.text).toBe('');
    expect(typo.stderr).toBe("error: 'comit' is not a store command\nhint: the most similar command is `store commit`; see `store --help`\n");
    // git's weights: letters swapped cost nothing, so `stauts` is `status` (not `stats`, one letter shorter).
    expect((await store(['stauts'], { cwd: work })).stderr).toContain('the most similar command is `store status`;');
    expect((await store(['commmit'], { cwd: work })).stderr).toContain('the most similar command is `store commit`;');
    expect((await store(['remote', 'ad', 'origin', 's3://b/p'], { cwd: work })).stderr).toBe(
      "error: 'remote ad' is not a store command\nhint: the most similar command is `store remote add`; see `store --help`\n",
    );
    const unknownJson = await store(['frobnicate', '--json'], { cwd: work });
    expect(unknownJson.status).toBe(2);
    expect(JSON.parse(unknownJson.text)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: "'frobnicate' is not a store command", hint: 'see `store --help`' },
    });
  });

  it('get --json needs -o, and with it prints what was written', async () => {
    const work = await repoWith({ 'a.txt': 'hello\n' });
    const refused = await store(['get', 'a.txt', '--json'], { cwd: work });
    expect(refused.status).toBe(2);
    expect(JSON.parse(refused.text).error.code).toBe('INVALID_ARGUMENT');
    const out = join(work, 'copy.txt');
    const written = await storeJson<Record<string, unknown>>(['get', 'a.txt', '-o', out], { cwd: work });
    expect(written).toMatchObject({ output: out, path: 'a.txt', sizeBytes: 6 });
    expect(written.id).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(out, 'utf8')).toBe('hello\n');
  });

  it('diff --quiet and --exit-code exit 1 on differences, 0 without', async () => {
    const work = await repoWith({ 'a.txt': 'a\n' });
    const clean = await store(['diff', '--quiet'], { cwd: work });
    expect([clean.status, clean.text]).toEqual([0, '']);
    writeFileSync(join(work, 'a.txt'), 'b\n');
    const quiet = await store(['diff', '-q'], { cwd: work });
    expect([quiet.status, quiet.text]).toEqual([1, '']);
    const exitCode = await store(['diff', '--exit-code', '--name-only'], { cwd: work });
    expect([exitCode.status, exitCode.text]).toEqual([1, 'a.txt\n']);
    expect((await store(['diff', '--exit-code', 'HEAD', 'HEAD'], { cwd: work })).status).toBe(0);
  });
});

describe('checkout, switch and restore', () => {
  it('restores a deleted file without --force, from the staging area or a commit; refuses to overwrite a change unless forced', async () => {
    const work = await repoWith({ 'a.txt': 'one\n', 'b.txt': 'bee\n' });
    rmSync(join(work, 'a.txt'));
    await storeOk(['checkout', 'HEAD', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('one\n');
    rmSync(join(work, 'a.txt'));
    await storeOk(['restore', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('one\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    rmSync(join(work, 'b.txt'));
    await storeOk(['checkout', '--', 'b.txt'], { cwd: work });
    expect(readFileSync(join(work, 'b.txt'), 'utf8')).toBe('bee\n');

    writeFileSync(join(work, 'a.txt'), 'mine\n');
    const refused = await store(['restore', 'a.txt', '--json'], { cwd: work });
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'UNCOMMITTED_CHANGES' });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('mine\n');
    await storeOk(['restore', '--force', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('one\n');
    expect((await store(['restore', 'nosuch'], { cwd: work })).status).toBe(5);
  });

  it('restore --source writes the work tree only; --staged the staging area only; both, both', async () => {
    const work = await repoWith({ 'a.txt': 'v1\n' });
    writeFileSync(join(work, 'a.txt'), 'v2\n');
    await storeOk(['add', 'a.txt'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'v2'], { cwd: work });

    await storeOk(['restore', '--source', 'HEAD~1', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('v1\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M a.txt\n');
    await storeOk(['restore', '--force', 'a.txt'], { cwd: work }); // back to the staged v2
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('v2\n');

    await storeOk(['restore', '--staged', '--source', 'HEAD~1', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('v2\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('MM a.txt\n');
    await storeOk(['restore', '--staged', 'a.txt'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');

    await storeOk(['restore', '--staged', '--worktree', '--source', 'HEAD~1', 'a.txt'], { cwd: work });
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('v1\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  a.txt\n');
  });

  it('switch --detach and checkout COMMIT detach HEAD: status, log and branch show it, commits move HEAD alone, and switching away warns', async () => {
    const work = await repoWith({ 'a.txt': 'v1\n' });
    writeFileSync(join(work, 'a.txt'), 'v2\n');
    await storeOk(['add', 'a.txt'], { cwd: work });
    const second = await storeJson<{ commitId: string }>(['commit', '-m', 'v2'], { cwd: work });
    const first = (await storeOk(['log', '--format=%H', '-n', '1', 'HEAD~1'], { cwd: work })).text.trim();

    const detached = await storeJson<{ commitId: string }>(['switch', '--detach', 'HEAD~1'], { cwd: work });
    expect(detached.commitId).toBe(first);
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('v1\n');
    expect((await storeOk(['status'], { cwd: work })).text).toMatch(new RegExp(`^HEAD detached at ${first.slice(0, 12)}\n`));
    expect((await storeOk(['log', '--oneline', '-n', '1'], { cwd: work })).text).toBe(`${first.slice(0, 12)} (HEAD) first\n`);
    expect((await storeOk(['branch'], { cwd: work })).text).toBe(`* (HEAD detached at ${first.slice(0, 12)})\n  main\n`);

    writeFileSync(join(work, 'c.txt'), 'c\n');
    await storeOk(['add', 'c.txt'], { cwd: work });
    const onDetached = await store(['commit', '-m', 'detached work'], { cwd: work });
    expect(onDetached.status).toBe(0);
    expect(onDetached.text).toMatch(/^\[detached HEAD [0-9a-f]{12}\] detached work\n 1 file changed: 1 added; 2 files \(5 B\) in the commit\n$/);
    expect(onDetached.stderr).toContain('warning: this commit is on no branch');
    const main = (await storeOk(['log', '--format=%H', '-n', '1', 'main'], { cwd: work })).text.trim();
    expect(main).toBe(second.commitId); // the branch did not move
    expect((await storeOk(['gc'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['verify'], { cwd: work })).text).toMatch(/^ok: /); // gc kept the detached commit

    const back = await store(['switch', 'main'], { cwd: work });
    expect(back.status).toBe(0);
    expect(back.stderr).toMatch(/^warning: leaving commit [0-9a-f]{12} behind: no branch or tag holds it/);
    expect(existsSync(join(work, 'c.txt'))).toBe(false);

    // checkout of a commit that is no branch detaches too; of a branch, switches.
    await storeOk(['checkout', first.slice(0, 12)], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect((await storeOk(['status'], { cwd: work })).text).toMatch(/^HEAD detached at /);
    await storeOk(['checkout', 'main'], { cwd: work });
    expect((await storeOk(['status'], { cwd: work })).text).toMatch(/^On branch main\n/);
    await storeOk(['switch', '--detach'], { cwd: work }); // at HEAD
    expect((await storeOk(['status'], { cwd: work })).text).toMatch(new RegExp(`^HEAD detached at ${second.commitId.slice(0, 12)}\n`));
  });
});

describe('diff as git shows it', () => {
  it('a unified patch for text, "Binary files differ" for binary, --stat in lines, paths after -- filter', async () => {
    const work = await repoWith({ 'text.txt': 'one\ntwo\nthree\n', 'bin.dat': 'a\0b', 'other.txt': 'x\n' });
    writeFileSync(join(work, 'text.txt'), 'one\nTWO\nthree\nfour\n');
    writeFileSync(join(work, 'bin.dat'), 'a\0c');
    writeFileSync(join(work, 'other.txt'), 'y\n');
    const patch = await storeOk(['diff', '--', 'text.txt', 'bin.dat'], { cwd: work });
    const lines = patch.text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['diff --git a/bin.dat b/bin.dat', expect.stringMatching(/^index [0-9a-f]{12}\.\.[0-9a-f]{12}$/)]);
    expect(lines[2]).toBe('Binary files a/bin.dat and b/bin.dat differ');
    expect(lines.slice(3)).toEqual([
      'diff --git a/text.txt b/text.txt',
      expect.stringMatching(/^index /),
      '--- a/text.txt',
      '+++ b/text.txt',
      '@@ -1,3 +1,4 @@',
      ' one',
      '-two',
      '+TWO',
      ' three',
      '+four',
      '',
    ]);
    expect((await storeOk(['diff', '--stat', 'text.txt'], { cwd: work })).text).toBe(' text.txt | 3 ++-\n 1 file changed, 2 insertions(+), 1 deletion(-)\n');
    expect((await storeOk(['diff', '--name-only', '-z'], { cwd: work })).stdout.equals(Buffer.from('bin.dat\0other.txt\0text.txt\0'))).toBe(true);
  });

  it('a file moved with its content is R100; -M pairs a move with a small edit, -M<n> as git reads it', async () => {
    const body = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const work = await repoWith({ 'old.txt': `${body}\n`, 'edited.txt': `${body}\nend\n` });
    rmSync(join(work, 'old.txt'));
    writeFileSync(join(work, 'new.txt'), `${body}\n`);
    rmSync(join(work, 'edited.txt'));
    writeFileSync(join(work, 'moved.txt'), `${body}\nEND\n`);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    const exact = await storeOk(['diff', '--staged', '--name-status'], { cwd: work });
    expect(exact.text).toBe('D\tedited.txt\nA\tmoved.txt\nR100\told.txt\tnew.txt\n');
    const similar = await storeOk(['diff', '--staged', '--name-status', '-M'], { cwd: work });
    expect(similar.text).toMatch(/^R0(9\d)\tedited\.txt\tmoved\.txt\nR100\told\.txt\tnew\.txt\n$/);
    // git's inline thresholds: -M99 (99%) and -M99% refuse the 9x% pair, -M9 (90%) and --find-renames=90% take it
    for (const strict of ['-M99', '-M99%', '--find-renames=99']) {
      expect((await storeOk(['diff', '--staged', '--name-status', strict], { cwd: work })).text).toBe(exact.text);
    }
    for (const loose of ['-M9', '--find-renames=90%']) {
      expect((await storeOk(['diff', '--staged', '--name-status', loose], { cwd: work })).text).toBe(similar.text);
    }
    const tooHigh = await store(['diff', '--staged', '-M101%'], { cwd: work });
    expect(tooHigh.status).toBe(2);
    const nul = await storeOk(['diff', '--staged', '--name-status', '-z'], { cwd: work });
    expect(nul.stdout.toString('utf8')).toContain('R100\0old.txt\0new.txt\0');
  });
});

describe('log and show', () => {
  it('log decorates with branches and tags, takes --all, paths and --format; show prints a commit with its patch, and COMMIT:PATH', async () => {
    const work = await repoWith({ 'a.txt': 'a1\n', 'b.txt': 'b1\n' });
    await storeOk(['tag', 'v1'], { cwd: work });
    writeFileSync(join(work, 'b.txt'), 'b2\n');
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'b two\n\nthe body'], { cwd: work });
    await storeOk(['switch', '-c', 'side'], { cwd: work });
    writeFileSync(join(work, 'c.txt'), 'c\n');
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'side work'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });

    const oneline = (await storeOk(['log', '--oneline'], { cwd: work })).text.split('\n');
    expect(oneline[0]).toMatch(/^[0-9a-f]{12} \(HEAD -> main\) b two$/);
    expect(oneline[1]).toMatch(/^[0-9a-f]{12} \(tag: v1\) first$/);
    const all = (await storeOk(['log', '--all', '--format=%s%d'], { cwd: work })).text;
    expect(all).toBe('side work (side)\nb two (HEAD -> main)\nfirst (tag: v1)\n');
    expect((await storeOk(['log', '--format=%s', '--', 'a.txt'], { cwd: work })).text).toBe('first\n');
    expect((await storeOk(['log', '--format=%s|%b|%an', '-n', '1'], { cwd: work })).text).toBe('b two|the body|tester\n');

    const shown = await storeOk(['show'], { cwd: work });
    expect(shown.text).toMatch(/^commit [0-9a-f]{64} \(HEAD -> main\)\nAuthor: tester\nDate: {3}\S+\n\n {4}b two\n {4}\n {4}the body\n\n/);
    expect(shown.text).toContain('--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-b1\n+b2\n');
    expect((await storeOk(['show', 'v1:b.txt'], { cwd: work })).text).toBe('b1\n');
    expect((await storeOk(['show', 'side:c.txt'], { cwd: work })).text).toBe('c\n');
    expect((await store(['show', 'v1:c.txt'], { cwd: work })).status).toBe(5);
  });
});

describe('small things', () => {
  it('reset of a path store does not know exits 5; commit -m "" is refused', async () => {
    const work = await repoWith({ 'a.txt': 'a' });
    const reset = await store(['reset', 'nosuch'], { cwd: work });
    expect(reset.status).toBe(5);
    expect(reset.stderr).toContain("pathspec 'nosuch' did not match any file known to store");
    for (const message of ['', '   ']) {
      writeFileSync(join(work, 'a.txt'), `changed ${message.length}`);
      await storeOk(['add', 'a.txt'], { cwd: work });
      const commit = await store(['commit', '-m', message, '--json'], { cwd: work });
      expect(commit.status).toBe(2);
      expect(JSON.parse(commit.text).error.message).toBe('aborting commit due to empty commit message');
    }
  });

  it('init names what is in the way of .store, and takes an empty .store/ directory as git takes an empty .git', async () => {
    const work = temporaryDirectory();
    writeFileSync(join(work, '.store'), 'a file');
    const file = await store(['init'], { cwd: work });
    expect(file.status).toBe(4);
    expect(file.stderr).toBe(
      `error: ${join(work, '.store')} exists and is a file, not a repository\nhint: store keeps its repository in .store/: move that file away first; nothing was changed\n`,
    );
    expect(readFileSync(join(work, '.store'), 'utf8')).toBe('a file');
    rmSync(join(work, '.store'));
    mkdirSync(join(work, '.store'));
    writeFileSync(join(work, '.store/keep'), '');
    const notEmpty = await store(['init'], { cwd: work });
    expect(notEmpty.status).toBe(4);
    expect(notEmpty.stderr).toContain('exists and is not empty, but holds no repository');
    rmSync(join(work, '.store/keep'));
    expect((await store(['status'], { cwd: work })).status).toBe(3);
    await storeOk(['init'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
  });

  it('proof verify with a shortened id is a usage error that says so', async () => {
    const work = await repoWith({ 'a.txt': 'a' });
    await storeOk(['proof', 'a.txt', '-o', join(work, 'p.json')], { cwd: work });
    const head = (await storeOk(['log', '--format=%H', '-n', '1'], { cwd: work })).text.trim();
    const short = await store(['proof', 'verify', join(work, 'p.json'), head.slice(0, 12)], { cwd: work });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain(`'${head.slice(0, 12)}' is not a full commit id`);
    expect((await store(['proof', 'verify', join(work, 'p.json'), head], { cwd: work })).status).toBe(0);
  });

  it('counts read as English; the commit summary counts the change as git does; stats names the staging area for what it is; verify names the damage', async () => {
    const work = await repoWith({ 'a.txt': 'a', 'b.txt': 'b' });
    writeFileSync(join(work, 'a.txt'), 'a2');
    rmSync(join(work, 'b.txt'));
    writeFileSync(join(work, 'c.txt'), 'c');
    await storeOk(['add', '-A', '-q'], { cwd: work });
    const commit = await storeOk(['commit', '-m', 'change'], { cwd: work });
    expect(commit.text).toMatch(/^\[main [0-9a-f]{12}\] change\n 3 files changed: 1 added, 1 modified, 1 removed; 2 files \(3 B\) in the commit\n$/);
    expect((await storeOk(['show', '--stat'], { cwd: work })).text).toMatch(
      /\n a\.txt \| 2 \+-\n b\.txt \| 1 -\n c\.txt \| 1 \+\n 3 files changed, 2 insertions\(\+\), 2 deletions\(-\)\n$/,
    );
    const stats = (await storeOk(['stats'], { cwd: work })).text;
    expect(stats).toMatch(/tracked files \(staging area\) +2 \(/);
    expect(stats).not.toContain('staged files');
    expect((await storeOk(['verify'], { cwd: work })).text).toMatch(/^ok: checked \d+ packs, 2 commits\n$/);
    writeFileSync(join(work, 'a.txt'), 'a3');
    const diffStat = (await storeOk(['diff', '--stat'], { cwd: work })).text;
    expect(diffStat).toContain(' 1 file changed, 1 insertion(+), 1 deletion(-)');

    // A damaged staging file: verify names what is wrong, not what it counted.
    const staging = join(work, '.store', 'staging');
    const bytes = readFileSync(staging);
    bytes[bytes.length - 1]! ^= 0xff;
    chmodSync(staging, 0o600);
    writeFileSync(staging, bytes);
    const damaged = await store(['verify'], { cwd: work });
    expect(damaged.status).toBe(8);
    expect(damaged.text).toMatch(/^DAMAGED: 1 problem \(named above\); checked /);
  });

  it('the commit summary counts files added, modified and removed below changed directories, type changes, a stale tree cache and permission bits', async () => {
    type Changes = { changes: { added: number; modified: number; removed: number }; modesOnly: boolean; fileCount: number };
    const work = await repoWith({ 'keep/k.txt': 'k', 'gone/deep/x': 'x', 'gone/y': 'y', 'f/inner': 'i', plain: 'p', 'top.txt': 't' });
    rmSync(join(work, 'gone'), { recursive: true });
    rmSync(join(work, 'f'), { recursive: true });
    writeFileSync(join(work, 'f'), 'now a file'); // a directory of one file becomes a file
    rmSync(join(work, 'plain'));
    mkdirSync(join(work, 'plain/sub'), { recursive: true }); // a file becomes a directory of two files
    writeFileSync(join(work, 'plain/sub/a'), 'a');
    writeFileSync(join(work, 'plain/b'), 'b');
    writeFileSync(join(work, 'top.txt'), 't2');
    const changed = await storeJson<Changes>(['commit', '-A', '-m', 'reshape'], { cwd: work });
    // added: f, plain/b, plain/sub/a; modified: top.txt; removed: gone/deep/x, gone/y, f/inner, plain
    expect(changed.changes).toEqual({ added: 3, modified: 1, removed: 4 });
    expect(changed.modesOnly).toBe(false);
    expect(changed.fileCount).toBe(5);

    // The tree cache was written for main's last commit; a commit on another branch reuses its
    // directories (keep/) though they differ from that branch's parent: they are compared by id.
    const first = (await storeOk(['log', '--format=%H', '-n', '1', 'HEAD~1'], { cwd: work })).text.trim();
    const start = await storeJson<{ branch: string; commitId: string }>(['switch', '-c', 'old', 'HEAD~1'], { cwd: work });
    expect(start).toEqual({ branch: 'old', commitId: first });
    expect(readFileSync(join(work, 'plain'), 'utf8')).toBe('p'); // the start point is checked out
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    writeFileSync(join(work, 'keep/k.txt'), 'k'); // as on main: keep/ is the cached tree
    writeFileSync(join(work, 'keep/k2.txt'), 'k2');
    const onOld = await storeJson<Changes>(['commit', '-A', '-m', 'on old'], { cwd: work });
    expect(onOld.changes).toEqual({ added: 1, modified: 0, removed: 0 });
    await storeOk(['switch', 'main'], { cwd: work });
    writeFileSync(join(work, 'keep/k2.txt'), 'k2'); // keep/ now as on `old`, whose tree main's parent lacks
    const onMain = await storeJson<Changes>(['commit', '-A', '-m', 'same keep/ as old'], { cwd: work });
    expect(onMain.changes).toEqual({ added: 1, modified: 0, removed: 0 });

    chmodSync(join(work, 'top.txt'), 0o755); // the executable bit is in the tree, as in git
    expect((await storeOk(['commit', '-A', '-m', 'exec bit'], { cwd: work })).text).toMatch(/\n 1 file changed: 1 modified; 6 files/);
    chmodSync(join(work, 'top.txt'), 0o700); // other bits only in the commit's modes
    const modes = await store(['commit', '-A', '-m', 'private'], { cwd: work });
    expect(modes.status).toBe(0);
    expect(modes.text).toMatch(/^\[main [0-9a-f]{12}\] private\n 0 files changed; permission bits changed; 6 files \(\d+ B\) in the commit\n$/);
  });

  it('reset lists, as git does, the tracked files that now differ from the staging area, with their letters', async () => {
    const work = await repoWith({ 'a.txt': 'a\n', 'gone.txt': 'g\n', 'same.txt': 's\n' });
    writeFileSync(join(work, 'a.txt'), 'a2\n');
    rmSync(join(work, 'gone.txt'));
    writeFileSync(join(work, 'new.txt'), 'n\n');
    await storeOk(['add', '-A', '-q'], { cwd: work });
    const reset = await storeOk(['reset'], { cwd: work });
    expect(reset.text).toBe('Unstaged changes after reset:\nM\ta.txt\nD\tgone.txt\n'); // new.txt is untracked again, as in git
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M a.txt\n D gone.txt\n?? new.txt\n');
    expect((await storeOk(['reset'], { cwd: work })).text).toBe(''); // nothing was reset (git lists a.txt and gone.txt again)
  });

  it('gc counts in English', async () => {
    const work = await repoWith({ 'a.txt': 'a\n' });
    writeFileSync(join(work, 'b.txt'), 'bbbbbb\n');
    await storeOk(['add', '-q', 'b.txt'], { cwd: work });
    await storeOk(['reset', '-q', 'b.txt'], { cwd: work });
    expect((await storeOk(['gc'], { cwd: work })).text).toMatch(
      /^1 unreferenced blob \(7 B raw\); 1 pack deleted, 0 rewritten, 2 joined, 0 unindexed removed; freed [1-9]\d* B\n$/,
    );
  });

  it('npm ci runs no install script of a dependency that allowScripts does not cover', async () => {
    const listed = await run('npm', ['install-scripts', 'ls'], { cwd: join(dirname(fileURLToPath(import.meta.url)), '..') });
    expect(listed.status).toBe(0);
    expect(listed.text).toBe('No packages with unreviewed install scripts.\n');
  });

  it("--help's EXIT STATUS block has one status a line", async () => {
    const help = await storeOk(['commit', '--help'], { cwd: temporaryDirectory() });
    const block = help.text.slice(help.text.indexOf('EXIT STATUS'));
    for (const status of ['0', '2', '8', '12']) expect(block).toMatch(new RegExp(`\\n {2,4}${status} +\\S`));
    expect(block).not.toMatch(/\n {2,4}or commit not\n/);
  });
});

describe('renames in bounded memory', () => {
  it('pairs deletions with additions by content id, and passes changes on unpaired, in order, past the bound', async () => {
    const { withRenames } = await import('../src/engine/diff.js');
    const diffs = [
      { path: 'a', change: 'deleted' as const, oldFileId: 'aa', oldSizeBytes: 1 },
      { path: 'b', change: 'modified' as const, oldFileId: 'b1', newFileId: 'b2' },
      { path: 'c', change: 'added' as const, newFileId: 'aa', newSizeBytes: 1 },
    ];
    const read = async (): Promise<Buffer | undefined> => undefined;
    const paired = [...(await withRenames(diffs, { read }))];
    expect(paired.map((diff) => [diff.change, diff.oldPath, diff.path, diff.similarity])).toEqual([
      ['modified', undefined, 'b', undefined],
      ['renamed', 'a', 'c', 100],
    ]);
    let taken = 0;
    const counted = function* () {
      for (const diff of diffs) {
        taken++;
        yield diff;
      }
    };
    const streamed = await withRenames(counted(), { read, heldAtMost: 1 });
    expect(taken).toBe(2); // stopped holding at the bound
    expect([...streamed].map((diff) => diff.change)).toEqual(['deleted', 'modified', 'added']);
  });
});

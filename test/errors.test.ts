import { appendFileSync, chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, runAsNobody, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

async function freshRepository(): Promise<string> {
  const work = temporaryDirectory();
  await storeOk(['init'], { cwd: work });
  return work;
}

describe('exit statuses and error codes', () => {
  it('outside a repository: status 3 with a hint to run store init', async () => {
    const outside = temporaryDirectory();
    for (const args of [['status'], ['add', '-A'], ['log'], ['commit', '-m', 'x'], ['get', 'x'], ['stats']]) {
      const result = await store(args, { cwd: outside });
      expect(result.status, args.join(' ')).toBe(3);
      expect(result.stderr).toContain('not a store repository');
      expect(result.stderr).toContain('store init');
    }
    const json = await store(['status', '--json'], { cwd: outside });
    expect(json.status).toBe(3);
    expect(JSON.parse(json.text)).toMatchObject({ error: { code: 'NOT_A_REPOSITORY' } });
  });

  it('init on an existing repository refuses with status 4 and changes nothing', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a.txt'), 'a');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'keep me'], { cwd: work });
    const result = await store(['init'], { cwd: work });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('already exists');
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).text).toBe('a');
    expect(await storeJson<unknown[]>(['log'], { cwd: work })).toHaveLength(1);
  });

  it('finds the repository from a subdirectory and with --repo', async () => {
    const work = await freshRepository();
    mkdirSync(join(work, 'deep/er'), { recursive: true });
    writeFileSync(join(work, 'deep/er/f.txt'), 'f');
    await storeOk(['add', 'f.txt'], { cwd: join(work, 'deep/er') });
    await storeOk(['commit', '-m', 'from below'], { cwd: join(work, 'deep/er') });
    expect((await storeOk(['get', 'f.txt'], { cwd: join(work, 'deep/er') })).text).toBe('f');
    expect((await storeOk(['get', 'deep/er/f.txt', '--repo', work], { cwd: work })).text).toBe('f');
  });

  it('nothing to commit is an error with status 1, not an empty commit', async () => {
    const work = await freshRepository();
    const empty = await store(['commit', '-m', 'nothing'], { cwd: work });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('nothing to commit');
    writeFileSync(join(work, 'a.txt'), 'a');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    const again = await store(['commit', '-m', 'same', '--json'], { cwd: work });
    expect(again.status).toBe(1);
    expect(JSON.parse(again.text)).toMatchObject({ error: { code: 'NOTHING_TO_COMMIT' } });
    expect(await storeJson<unknown[]>(['log'], { cwd: work })).toHaveLength(1);
  });

  it('missing paths, unknown ids and revisions: status 5; usage errors: status 2', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a.txt'), 'a');
    const missing = await store(['add', 'no-such-file'], { cwd: work });
    expect(missing.status).toBe(5);
    expect(missing.stderr).toContain("'no-such-file' did not match any files");
    expect((await store(['get', 'a.txt'], { cwd: work })).status).toBe(5); // no commits yet
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    expect((await store(['get', 'missing.txt'], { cwd: work })).status).toBe(5);
    expect((await store(['get', 'deadbeefdeadbeef'], { cwd: work })).status).toBe(5);
    const unknownId = await store(['get', 'deadbeef'.repeat(8)], { cwd: work }); // a whole id, not a prefix
    expect(unknownId.status).toBe(5);
    expect(unknownId.stderr).toContain(`no file, chunk or object with id ${'deadbeef'.repeat(8)}`);
    expect((await store(['get', 'a.txt', '--at', 'nosuchbranch'], { cwd: work })).status).toBe(5);
    expect((await store(['get', 'a.txt', '--at', 'HEAD~5'], { cwd: work })).status).toBe(5);
    expect((await store(['log', '--no-such-flag'], { cwd: work })).status).toBe(2);
    expect((await store(['add'], { cwd: work })).status).toBe(2);
    expect((await store(['init', '--chunk-size', '64K:16K:256K'], { cwd: temporaryDirectory() })).status).toBe(2);
    const outside = await store(['add', '/etc/hostname'], { cwd: work });
    expect(outside.status).toBe(2);
    expect(outside.stderr).toContain('outside the repository');
  });

  it('an unknown 8-digit prefix: status 5; a prefix under 8 digits is not taken as a hash', async () => {
    const work = await freshRepository();
    for (let i = 0; i < 20; i++) writeFileSync(join(work, `f${i}`), `content ${i}`);
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'many'], { cwd: work });
    expect((await store(['get', '00000000'], { cwd: work })).status).toBe(5);
    const short = await store(['get', 'af1349b'], { cwd: work });
    expect(short.status).toBe(5);
    expect(short.stderr).toContain('not in commit');
  });

  it('an unreadable file is reported, the rest is still added, and the status says partly done (9)', async () => {
    // The repository sits in a directory of its own: as root, that directory (never the shared
    // temporary directory above it) is opened to nobody.
    const parent = temporaryDirectory();
    const work = join(parent, 'repository');
    mkdirSync(work);
    await storeOk(['init'], { cwd: work });
    writeFileSync(join(work, 'ok.txt'), 'fine');
    writeFileSync(join(work, 'secret.txt'), 'hidden');
    // Root reads any file whatever its mode, so as root the CLI runs as nobody for this case.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await run('chmod', ['-R', 'a+rwX', parent], { cwd: parent });
    chmodSync(join(work, 'secret.txt'), 0o000);
    const result = asRoot ? await runAsNobody(['add', '-A'], work) : await store(['add', '-A'], { cwd: work });
    expect(result.stderr).toContain('secret.txt: permission denied');
    expect(result.status).toBe(9);
    chmodSync(join(work, 'secret.txt'), 0o644);
    const status = await storeJson<{ staged: { path: string }[]; untracked: string[] }>(['status'], { cwd: work });
    expect(status.staged.map((item) => item.path)).toEqual(['ok.txt']);
    expect(status.untracked).toEqual(['secret.txt']);
  });

  it('a HEAD with text appended is reported as damage (status 8), and commit creates no branch from it', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a.txt'), 'a');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    appendFileSync(join(work, '.store/HEAD'), '\nstray text\n');
    writeFileSync(join(work, 'b.txt'), 'b');
    await storeOk(['add', '-A'], { cwd: work });
    const commit = await store(['commit', '-m', 'two', '--json'], { cwd: work });
    expect(commit.status).toBe(8);
    expect(JSON.parse(commit.text)).toMatchObject({ error: { code: 'CORRUPT_CONFIG', message: expect.stringContaining('HEAD is malformed') } });
    expect(readdirSync(join(work, '.store/refs/heads'))).toEqual(['main']);
    expect((await store(['log'], { cwd: work })).status).toBe(8);
  });

  it('FIFOs are skipped with a note, not read', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a.txt'), 'a');
    await run('mkfifo', [join(work, 'pipe')], { cwd: work });
    const result = await store(['add', '-A'], { cwd: work });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('skipped pipe: FIFO');
    const status = await storeJson<{ staged: { path: string }[] }>(['status'], { cwd: work });
    expect(status.staged.map((item) => item.path)).toEqual(['a.txt']);
  });
});

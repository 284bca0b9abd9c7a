import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, runAsNobody, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

/** Issue 19: version histories, committed in one process. */

describe('commit -A', () => {
  it('stages new, changed and removed files and commits them in one process', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    mkdirSync(join(work, 'd'));
    writeFileSync(join(work, 'a.txt'), 'one\n');
    writeFileSync(join(work, 'd/b.txt'), 'bee\n');
    const first = await storeJson<{ commitId: string; fileCount: number; staged: { addedCount: number; added: string[] } }>(['commit', '-A', '-m', 'v1'], {
      cwd: work,
    });
    expect(first.fileCount).toBe(2);
    expect(first.staged.added).toEqual(['a.txt', 'd/b.txt']);

    writeFileSync(join(work, 'a.txt'), 'two\n');
    rmSync(join(work, 'd/b.txt'));
    writeFileSync(join(work, 'new.txt'), 'new\n');
    const second = await storeOk(['commit', '-A', '-m', 'v2'], { cwd: work });
    expect(second.text).toMatch(/^\[main [0-9a-f]{12}\] v2\n 2 files in the commit \(8 B\)\n$/);
    expect((await storeOk(['show', '--name-status'], { cwd: work })).text).toMatch(/\nM\ta.txt\nD\td\/b.txt\nA\tnew.txt\n$/);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect((await storeOk(['get', 'a.txt', '--at', 'HEAD~1'], { cwd: work })).text).toBe('one\n');
    expect((await storeOk(['get', 'new.txt'], { cwd: work })).text).toBe('new\n');

    const again = await store(['commit', '-A', '-m', 'v3'], { cwd: work });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('nothing to commit');
    const empty = await store(['commit', '-A', '-m', ' '], { cwd: work });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('empty commit message');
  });

  it('commits nothing when a file cannot be read (status 9), and names it', async () => {
    const parent = temporaryDirectory();
    const work = join(parent, 'repository');
    mkdirSync(work);
    await storeOk(['init', '-q'], { cwd: work });
    writeFileSync(join(work, 'ok.txt'), 'fine');
    await storeOk(['commit', '-A', '-q', '-m', 'first'], { cwd: work });
    const head = readFileSync(join(work, '.store/refs/heads/main'), 'utf8');
    writeFileSync(join(work, 'secret.txt'), 'hidden');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await run('chmod', ['-R', 'a+rwX', parent], { cwd: parent });
    chmodSync(join(work, 'secret.txt'), 0o000);
    const result = asRoot ? await runAsNobody(['commit', '-A', '-m', 'second'], work) : await store(['commit', '-A', '-m', 'second'], { cwd: work });
    expect(result.status).toBe(9);
    expect(result.stderr).toContain('secret.txt: permission denied');
    expect(result.stderr).toContain('nothing was committed');
    expect(readFileSync(join(work, '.store/refs/heads/main'), 'utf8')).toBe(head);
  });
});

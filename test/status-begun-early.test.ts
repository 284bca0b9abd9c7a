import { lstatSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The compiled modules (`npm test` builds first).
import { beginStatusEarly, takeStatusBegunEarly } from '../dist/cli/status-begun-early.js';
import { computeStatus } from '../dist/engine/worktree/status.js';
import { Repository } from '../dist/repository/repository.js';
import { decodeStaging } from '../dist/staging/staging-format.js';
import { repoWith, storeOk } from './helpers.js';

const argv = (...words: string[]): string[] => ['/usr/bin/node', '/x/bin/run.js', ...words];

describe('a status begun before oclif starts (cli/status-begun-early)', () => {
  it('is begun for `status` alone, for the repository --repo names, and taken once by that repository', async () => {
    const work = await repoWith({ 'a.txt': 'a', 'd/b.txt': 'b' });
    const other = await repoWith({ 'c.txt': 'c' });

    beginStatusEarly(argv('status', '--porcelain', '--repo', work));
    const begun = takeStatusBegunEarly(work);
    expect(begun?.workTree).toBe(work);
    expect(typeof begun?.scanStartedAtNs).toBe('bigint');
    expect(takeStatusBegunEarly(work)).toBeUndefined(); // given once

    beginStatusEarly(argv('status', `--repo=${work}`));
    expect(takeStatusBegunEarly(other)).toBeUndefined(); // another repository's: dropped
    expect(takeStatusBegunEarly(work)).toBeUndefined();

    for (const words of [
      ['status', '--help', '--repo', work],
      ['status', '-h', '--repo', work],
      ['add', '-A', '--repo', work],
      ['log', 'status', '--repo', work],
    ]) {
      beginStatusEarly(argv(...words));
      expect(takeStatusBegunEarly(work), words.join(' ')).toBeUndefined();
    }
    // Computed from it, the same report as from a status begun in computeStatus; not for another repository.
    writeFileSync(join(work, 'a.txt'), 'changed');
    writeFileSync(join(work, 'd', 'new.txt'), 'new');
    const repo = Repository.open({ repoPath: work });
    beginStatusEarly(argv('status', '--repo', work));
    const early = computeStatus(repo, {}, takeStatusBegunEarly(work));
    expect(early.unstaged).toEqual([{ path: 'a.txt', change: 'modified' }]);
    expect(early.untracked).toEqual(['d/new.txt']);
    expect(computeStatus(repo, {})).toEqual(early);
    beginStatusEarly(argv('status', '--repo', other));
    expect(() => computeStatus(repo, {}, takeStatusBegunEarly(other))).toThrow(/a status begun in .* not /);
  });

  it("takes the scan's start time from when it was begun: the staging area a refresh writes is stamped with it", async () => {
    const work = await repoWith({ 'a.txt': 'a', 'b.txt': 'b' });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(work, 'a.txt'), hourAgo, hourAgo); // stat data changed, content not: verified, then refreshed
    const repo = Repository.open({ repoPath: work });
    beginStatusEarly(argv('status', '--repo', work));
    const begun = takeStatusBegunEarly(work)!;
    await new Promise((resolve) => setTimeout(resolve, 20)); // the command starts later than its status began
    const report = computeStatus(repo, { refresh: true }, begun);
    expect(report.unstaged).toEqual([]);
    const staging = decodeStaging(readFileSync(repo.layout.staging));
    expect(staging.writtenAtNs).toBe(begun.scanStartedAtNs);
    expect(staging.entries.find((entry) => entry.path === 'a.txt')?.mtimeNs).toBe(lstatSync(join(work, 'a.txt'), { bigint: true }).mtimeNs);
  });

  it('the CLI: status from a subdirectory, and with --repo naming another repository than the current directory', async () => {
    const work = await repoWith({ 'a.txt': 'a', 'd/b.txt': 'b' });
    const other = await repoWith({ 'c.txt': 'c' });
    writeFileSync(join(other, 'c.txt'), 'changed');
    expect((await storeOk(['status', '--porcelain'], { cwd: join(work, 'd') })).text).toBe('');
    expect((await storeOk(['status', '--porcelain', '--repo', other], { cwd: work })).text).toBe(' M c.txt\n');
    expect((await storeOk(['status', '--porcelain', `--repo=${work}`], { cwd: other })).text).toBe('');
  });
});

import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

/** Every file under `root` (not .store/) as `x:` or `-:` and its content, or `link:` and its target. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(root)) return out;
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative))) {
      if (relative === '' && name === '.store') continue;
      const path = relative === '' ? name : `${relative}/${name}`;
      const stats = lstatSync(join(root, path));
      if (stats.isDirectory()) walk(path);
      else if (stats.isSymbolicLink()) out.set(path, `link:${readlinkSync(join(root, path))}`);
      else out.set(path, `${stats.mode & 0o111 ? 'x' : '-'}:${readFileSync(join(root, path), 'utf8')}`);
    }
  };
  walk('');
  return out;
}

/**
 * Random edits of a small, deep, narrow work tree (files, executables, symlinks, files replacing
 * directories and back), committed on random branches. After every commit its checkout must equal
 * what was committed; after every switch the work tree must equal the branch's tip, and be clean.
 */
async function randomHistory(seed: number, steps: number): Promise<void> {
  let state = seed;
  const random = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const names = ['a', 'd', 'sp ace', 'ü', 'x.txt'];
  const work = temporaryDirectory();
  const randomPath = (): string => Array.from({ length: 1 + random(3) }, () => names[random(names.length)]).join('/');
  const edit = (): void => {
    const path = join(work, randomPath());
    try {
      const what = random(6);
      if (what <= 2) {
        mkdirSync(dirname(path), { recursive: true });
        rmSync(path, { recursive: true, force: true });
        writeFileSync(path, `content ${random(4)}\n`.repeat(random(3)));
      } else if (what === 3) rmSync(path, { recursive: true, force: true });
      else if (what === 4 && existsSync(path) && lstatSync(path).isFile()) chmodSync(path, random(2) ? 0o755 : 0o644);
      else if (what === 5) {
        mkdirSync(dirname(path), { recursive: true });
        rmSync(path, { recursive: true, force: true });
        symlinkSync(names[random(names.length)]!, path);
      }
    } catch (error) {
      // A path through a file or a symlink: that edit is not possible, the next one may be.
      if (!['ENOTDIR', 'EEXIST', 'EISDIR', 'ENOENT', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  };
  await storeOk(['init', '-q'], { cwd: work });
  const tips = new Map<string, Map<string, string>>();
  let current = 'main';
  for (let step = 0; step < steps; step++) {
    const where = `seed ${seed}, step ${step}`;
    const action = random(5);
    if (action <= 2 || !tips.has(current)) {
      for (let edits = 1 + random(4); edits > 0; edits--) edit();
      const expected = snapshot(work);
      await storeOk(['add', '-A', '-q'], { cwd: work });
      const commit = await store(['commit', '-m', `step ${step}`, '--json'], { cwd: work });
      if (commit.status !== 0) {
        expect(JSON.parse(commit.text).error.code, where).toBe('NOTHING_TO_COMMIT');
        continue;
      }
      tips.set(current, expected);
      expect((await storeOk(['status', '--porcelain'], { cwd: work })).text, where).toBe('');
      const out = join(temporaryDirectory(), 'out');
      await storeOk(['checkout', '-q', '-o', out, JSON.parse(commit.text).commitId], { cwd: work });
      expect(snapshot(out), where).toEqual(expected);
    } else if (action === 3) {
      const branch = `b${step}`;
      await storeOk(['switch', '-q', '-c', branch], { cwd: work });
      tips.set(branch, tips.get(current)!);
      current = branch;
    } else {
      const branches = [...tips.keys()];
      current = branches[random(branches.length)]!;
      await storeOk(['switch', '-q', current], { cwd: work });
      expect(snapshot(work), `${where}: switch to ${current}`).toEqual(tips.get(current));
      expect((await storeOk(['status', '--porcelain'], { cwd: work })).text, where).toBe('');
    }
  }
  expect((await storeJson<{ name: string }[]>(['branch'], { cwd: work })).length).toBe(tips.size);
  expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
}

/**
 * Seeds 1-24 all pass. On the build before session 5's fixes 13 of them failed; these two did at
 * their second and third step (a directory committed one level too deep, a symlink in the way).
 * STORE_RANDOM_SEEDS=1,2,3 runs others.
 */
const SEEDS = (process.env.STORE_RANDOM_SEEDS ?? '18,4').split(',').map(Number);

describe('random histories', () => {
  it.each(SEEDS)('commit, checkout and switch agree with the work tree through random edits (seed %i)', async (seed) => {
    // A turn of the event loop between seeds: each is ~15 s of synchronous work, and vitest's worker
    // must read its runner's replies within 60 s (12 seeds in a row failed the run with "Timeout
    // calling onTaskUpdate", every test passing).
    await new Promise((resolve) => setImmediate(resolve));
    await randomHistory(seed, 14);
  });
});

import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../src/core/hash.js';
import { buildTrees } from '../src/engine/tree-builder.js';
import { EntryKind } from '../src/objects/tree.js';
import type { StagedEntry } from '../src/staging/staging-format.js';
import type { TreeCache } from '../src/staging/tree-cache.js';
import type { BlobWriter } from '../src/store/blob-writer.js';
import { storeJson, storeOk, temporaryDirectory } from './helpers.js';

const TREE_CACHE = join('.store', 'tree-cache');

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** The tree id a repository with no history (so no tree cache) computes for the same files. */
function freshTreeId(workTree: string): string {
  const copy = temporaryDirectory();
  cpSync(workTree, copy, { recursive: true, filter: (source) => !source.includes('.store') });
  storeOk(['init', '-q'], { cwd: copy });
  storeOk(['add', '-A', '-q'], { cwd: copy });
  return storeJson<{ treeId: string }>(['commit', '-m', 'fresh'], { cwd: copy }).treeId;
}

function commitTreeId(cwd: string, message: string): string {
  storeOk(['add', '-A', '-q'], { cwd });
  return storeJson<{ treeId: string }>(['commit', '-m', message], { cwd }).treeId;
}

describe('tree cache', () => {
  const files: Record<string, string> = {};
  for (let d = 0; d < 4; d++) for (let f = 0; f < 5; f++) files[`d${d}/sub${f % 2}/f${f}.txt`] = `file ${d} ${f}\n`;
  files['top.txt'] = 'top\n';
  files['d0.txt'] = 'a file named like a directory plus a suffix\n';

  it('gives every commit the tree id a repository without a cache computes, through edits, additions and removals', () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    storeOk(['init', '-q'], { cwd: work });
    expect(commitTreeId(work, 'first')).toBe(freshTreeId(work));
    expect(existsSync(join(work, TREE_CACHE))).toBe(true);

    writeFileSync(join(work, 'd2/sub1/f3.txt'), 'changed deep down\n');
    expect(commitTreeId(work, 'edit')).toBe(freshTreeId(work));

    writeTree(work, { 'd1/new/dir/n.txt': 'new\n', 'd3/sub0/extra.txt': 'extra\n' });
    expect(commitTreeId(work, 'additions')).toBe(freshTreeId(work));

    rmSync(join(work, 'd0'), { recursive: true });
    rmSync(join(work, 'd2/sub1/f3.txt'));
    expect(commitTreeId(work, 'removals')).toBe(freshTreeId(work));
    expect(storeOk(['verify'], { cwd: work }).status).toBe(0);
  });

  it('tells a directory whose only child is a directory apart from that child (their runs are the same)', () => {
    // The root holds only d/, then gains a file: d/ must not become the old root (d/d/b.txt).
    const grow = temporaryDirectory();
    writeTree(grow, { 'd/b.txt': 'b\n', 'd/e/f.txt': 'f\n' });
    storeOk(['init', '-q'], { cwd: grow });
    expect(commitTreeId(grow, 'only d')).toBe(freshTreeId(grow));
    writeTree(grow, { 'c.txt': 'c\n' });
    expect(commitTreeId(grow, 'c at the top')).toBe(freshTreeId(grow));
    expect(storeOk(['get', 'd/b.txt'], { cwd: grow }).text).toBe('b\n');
    expect(storeOk(['diff', 'HEAD~1', 'HEAD', '--name-status'], { cwd: grow }).text).toBe('A\tc.txt\n');

    // The root loses its files and keeps only d/, whose tree the cache holds: the root must not become d/.
    const shrink = temporaryDirectory();
    writeTree(shrink, { 'a.txt': 'a\n', 'd/b.txt': 'b\n' });
    storeOk(['init', '-q'], { cwd: shrink });
    commitTreeId(shrink, 'a and d');
    storeOk(['rm', '-q', 'a.txt'], { cwd: shrink });
    expect(storeOk(['status', '--porcelain'], { cwd: shrink }).text).toBe('D  a.txt\n');
    expect(commitTreeId(shrink, 'only d')).toBe(freshTreeId(shrink));
    expect(storeOk(['get', 'd/b.txt'], { cwd: shrink }).text).toBe('b\n');
    expect(storeOk(['diff', 'HEAD~1', 'HEAD', '--name-status'], { cwd: shrink }).text).toBe('D\ta.txt\n');
  });

  it('gives the same root as a build without it, over 40 random histories of 10 commits in nested directories', () => {
    // A writer that keeps every tree it is given: what the cache may reuse.
    const stored = new Set<string>();
    const writer = {
      hasBlob: (id: Buffer) => stored.has(id.toString('hex')),
      addBlob: (_type: number, id: Buffer) => !stored.has(id.toString('hex')) && Boolean(stored.add(id.toString('hex'))),
    } as unknown as BlobWriter;
    // Few names, deep and narrow: directories whose only child is a directory come and go.
    const paths = ['a', 'd/b', 'd/e/f', 'd/e/g', 'd/e/h/i', 'x/y/z', 'x/w', 'd/e/h/j'];
    let state = 12345;
    const random = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    const entry = (path: string, version: number): StagedEntry => ({
      path, kind: EntryKind.File, mode: 0o100644, sizeBytes: version, mtimeNs: 0n, ctimeNs: 0n, ino: 0n, dev: 0n, fileId: hashBytes(Buffer.from(`${path}@${version}`)),
    });
    for (let history = 0; history < 40; history++) {
      const staged = new Map<string, StagedEntry>();
      let cache: TreeCache = new Map();
      for (let commit = 0; commit < 10; commit++) {
        for (let change = random(3) + 1; change > 0; change--) {
          const path = paths[random(paths.length)]!;
          if (staged.has(path) && random(2) === 0) staged.delete(path);
          else staged.set(path, entry(path, random(3)));
        }
        if (staged.size === 0) continue;
        const withCache = buildTrees([...staged.values()], writer, cache);
        const without = buildTrees([...staged.values()], writer, new Map());
        expect(withCache.root.id.toString('hex'), `history ${history}, commit ${commit}: ${[...staged.keys()].sort().join(' ')}`).toBe(without.root.id.toString('hex'));
        cache = withCache.cache;
      }
    }
  });

  it('ignores a damaged cache and one naming trees the repository does not have', () => {
    const first = temporaryDirectory();
    writeTree(first, files);
    storeOk(['init', '-q'], { cwd: first });
    const expected = commitTreeId(first, 'first');

    const second = temporaryDirectory();
    writeTree(second, files);
    storeOk(['init', '-q'], { cwd: second });
    copyFileSync(join(first, TREE_CACHE), join(second, TREE_CACHE)); // names trees only `first` stores
    expect(commitTreeId(second, 'first')).toBe(expected);
    storeOk(['verify', '--read-data'], { cwd: second });
    storeOk(['get', 'd1/sub0/f2.txt'], { cwd: second });

    const damaged = readFileSync(join(first, TREE_CACHE));
    damaged[40] = (damaged[40] ?? 0) ^ 0xff;
    writeFileSync(join(first, TREE_CACHE), damaged);
    writeFileSync(join(first, 'd3/sub0/f0.txt'), 'edited\n');
    expect(commitTreeId(first, 'after damage')).toBe(freshTreeId(first));
  });

  it('is dropped by gc, which may delete the trees it names', () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    storeOk(['init', '-q'], { cwd: work });
    commitTreeId(work, 'first');
    storeOk(['gc'], { cwd: work });
    expect(existsSync(join(work, TREE_CACHE))).toBe(false);
    writeFileSync(join(work, 'top.txt'), 'top, edited\n');
    expect(commitTreeId(work, 'after gc')).toBe(freshTreeId(work));
  });
  it('lets status compare the staging area with HEAD top down, with the same answer as without it', () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    storeOk(['init', '-q'], { cwd: work });
    commitTreeId(work, 'first');
    expect(storeOk(['status', '--porcelain'], { cwd: work }).text).toBe('');

    writeFileSync(join(work, 'd2/sub1/f3.txt'), 'changed deep down\n');
    writeTree(work, { 'd1/new/dir/n.txt': 'new\n' });
    rmSync(join(work, 'd0'), { recursive: true });
    rmSync(join(work, 'top.txt'));
    writeTree(work, { 'top.txt/inner.txt': 'a file became a directory\n' });
    rmSync(join(work, 'd3/sub1'), { recursive: true });
    writeFileSync(join(work, 'd3/sub1'), 'a directory became a file\n');
    rmSync(join(work, 'd1/sub0/f0.txt'));
    symlinkSync('f2.txt', join(work, 'd1/sub0/f0.txt'));
    storeOk(['add', '-A', '-q'], { cwd: work });
    const expected = [
      'D  d0/sub0/f0.txt', 'D  d0/sub0/f2.txt', 'D  d0/sub0/f4.txt', 'D  d0/sub1/f1.txt', 'D  d0/sub1/f3.txt',
      'A  d1/new/dir/n.txt', 'T  d1/sub0/f0.txt', 'M  d2/sub1/f3.txt',
      'A  d3/sub1', 'D  d3/sub1/f1.txt', 'D  d3/sub1/f3.txt',
      'D  top.txt', 'A  top.txt/inner.txt',
    ].map((line) => `${line}\n`).join('');
    expect(storeOk(['status', '--porcelain'], { cwd: work }).text).toBe(expected);
    rmSync(join(work, TREE_CACHE));
    expect(storeOk(['status', '--porcelain'], { cwd: work }).text).toBe(expected);

    commitTreeId(work, 'second');
    expect(storeOk(['status', '--porcelain'], { cwd: work }).text).toBe('');
    storeOk(['rm', '-q', 'd2/sub0/f0.txt'], { cwd: work });
    expect(storeOk(['status', '--porcelain'], { cwd: work }).text).toBe('D  d2/sub0/f0.txt\n');
  });
});

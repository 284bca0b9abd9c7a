import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../src/core/hash.js';
import { buildTrees } from '../src/engine/ingest/tree-builder.js';
import { encodeTree, MERKLE_GROUP_LEAVES, type MerkleGroupMemo, treeIdOfBytes, type TreeEntry, wholeTreeKey } from '../src/objects/tree.js';
import { encodeStaging, sortByPathBytes, type StagedEntry, StagingView } from '../src/staging/staging-format.js';
import { emptyTreeCache, groupsToKeep, readTreeCache, type TreeCache, treeCacheMemo, writeTreeCache } from '../src/staging/tree-cache.js';
import { verifyBlob } from '../src/store/blob-verify.js';
import type { BlobWriter } from '../src/store/blob-writer.js';
import { seededRandom, storeJson, storeOk, temporaryDirectory } from './helpers.js';
import { BlobType, EntryKind } from '../src/core/vocabulary.js';

const TREE_CACHE = join('.store', 'tree-cache');

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** The tree id a repository with no history (so no tree cache) computes for the same files. */
async function freshTreeId(workTree: string): Promise<string> {
  const copy = temporaryDirectory();
  cpSync(workTree, copy, { recursive: true, filter: (source) => !source.includes('.store') });
  await storeOk(['init', '-q'], { cwd: copy });
  await storeOk(['add', '-A', '-q'], { cwd: copy });
  return (await storeJson<{ treeId: string }>(['commit', '-m', 'fresh'], { cwd: copy })).treeId;
}

async function commitTreeId(cwd: string, message: string): Promise<string> {
  await storeOk(['add', '-A', '-q'], { cwd });
  return (await storeJson<{ treeId: string }>(['commit', '-m', message], { cwd })).treeId;
}

/** A blob writer that only remembers which ids it was given. */
function memoryWriter(): BlobWriter {
  const stored = new Set<string>();
  return {
    hasBlob: (id: Buffer) => stored.has(id.toString('hex')),
    addBlob: (_type: number, id: Buffer) => !stored.has(id.toString('hex')) && Boolean(stored.add(id.toString('hex'))),
    drain: async () => {},
  } as unknown as BlobWriter;
}

/** A staged file whose content is named by its path and version. */
function stagedEntry(path: string, version: number): StagedEntry {
  return {
    path,
    kind: EntryKind.File,
    mode: 0o100644,
    sizeBytes: version,
    mtimeNs: 0n,
    ctimeNs: 0n,
    ino: 0n,
    dev: 0n,
    fileId: hashBytes(Buffer.from(`${path}@${version}`)),
  };
}

/** A deterministic generator of numbers below n. */
describe('tree cache', () => {
  const files: Record<string, string> = {};
  for (let d = 0; d < 4; d++) for (let f = 0; f < 5; f++) files[`d${d}/sub${f % 2}/f${f}.txt`] = `file ${d} ${f}\n`;
  files['top.txt'] = 'top\n';
  files['d0.txt'] = 'a file named like a directory plus a suffix\n';

  it('gives every commit the tree id a repository without a cache computes, through edits, additions and removals', async () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    await storeOk(['init', '-q'], { cwd: work });
    expect(await commitTreeId(work, 'first')).toBe(await freshTreeId(work));
    expect(existsSync(join(work, TREE_CACHE))).toBe(true);

    writeFileSync(join(work, 'd2/sub1/f3.txt'), 'changed deep down\n');
    expect(await commitTreeId(work, 'edit')).toBe(await freshTreeId(work));

    writeTree(work, { 'd1/new/dir/n.txt': 'new\n', 'd3/sub0/extra.txt': 'extra\n' });
    expect(await commitTreeId(work, 'additions')).toBe(await freshTreeId(work));

    rmSync(join(work, 'd0'), { recursive: true });
    rmSync(join(work, 'd2/sub1/f3.txt'));
    expect(await commitTreeId(work, 'removals')).toBe(await freshTreeId(work));
    expect((await storeOk(['verify'], { cwd: work })).status).toBe(0);
  });

  it('tells a directory whose only child is a directory apart from that child (their runs are the same)', async () => {
    // The root holds only d/, then gains a file: d/ must not become the old root (d/d/b.txt).
    const grow = temporaryDirectory();
    writeTree(grow, { 'd/b.txt': 'b\n', 'd/e/f.txt': 'f\n' });
    await storeOk(['init', '-q'], { cwd: grow });
    expect(await commitTreeId(grow, 'only d')).toBe(await freshTreeId(grow));
    writeTree(grow, { 'c.txt': 'c\n' });
    expect(await commitTreeId(grow, 'c at the top')).toBe(await freshTreeId(grow));
    expect((await storeOk(['get', 'd/b.txt'], { cwd: grow })).text).toBe('b\n');
    expect((await storeOk(['diff', 'HEAD~1', 'HEAD', '--name-status'], { cwd: grow })).text).toBe('A\tc.txt\n');

    // The root loses its files and keeps only d/, whose tree the cache holds: the root must not become d/.
    const shrink = temporaryDirectory();
    writeTree(shrink, { 'a.txt': 'a\n', 'd/b.txt': 'b\n' });
    await storeOk(['init', '-q'], { cwd: shrink });
    await commitTreeId(shrink, 'a and d');
    await storeOk(['rm', '-q', 'a.txt'], { cwd: shrink });
    expect((await storeOk(['status', '--porcelain'], { cwd: shrink })).text).toBe('D  a.txt\n');
    expect(await commitTreeId(shrink, 'only d')).toBe(await freshTreeId(shrink));
    expect((await storeOk(['get', 'd/b.txt'], { cwd: shrink })).text).toBe('b\n');
    expect((await storeOk(['diff', 'HEAD~1', 'HEAD', '--name-status'], { cwd: shrink })).text).toBe('D\ta.txt\n');
  });

  it('gives the same root as a build without it, over 40 random histories of 10 commits in nested directories', async () => {
    // A writer that keeps every tree it is given: what the cache may reuse.
    const writer = memoryWriter();
    // Few names, deep and narrow: directories whose only child is a directory come and go.
    const paths = ['a', 'd/b', 'd/e/f', 'd/e/g', 'd/e/h/i', 'x/y/z', 'x/w', 'd/e/h/j'];
    const random = seededRandom(12345);
    for (let history = 0; history < 40; history++) {
      const staged = new Map<string, StagedEntry>();
      let cache: TreeCache = emptyTreeCache();
      for (let commit = 0; commit < 10; commit++) {
        for (let change = random(3) + 1; change > 0; change--) {
          const path = paths[random(paths.length)]!;
          if (staged.has(path) && random(2) === 0) staged.delete(path);
          else staged.set(path, stagedEntry(path, random(3)));
        }
        if (staged.size === 0) continue;
        const staging = new StagingView(encodeStaging({ entries: sortByPathBytes([...staged.values()]), writtenAtNs: 0n }), 'test');
        const withCache = await buildTrees(staging, writer, cache);
        const without = await buildTrees(staging, writer, emptyTreeCache());
        expect(withCache.root.id.toString('hex'), `history ${history}, commit ${commit}: ${[...staged.keys()].sort().join(' ')}`).toBe(
          without.root.id.toString('hex'),
        );
        cache = withCache.cache;
      }
    }
  });

  it('gives a tree through remembered Merkle groups the id it has without them, at every size and after edits', () => {
    const random = seededRandom(99);
    const entryNamed = (index: number): TreeEntry => ({
      name: `f${String(index).padStart(4, '0')}`,
      kind: EntryKind.File,
      sizeBytes: 0,
      id: hashBytes(Buffer.from(`${index}@0`)),
    });
    for (let count = 1; count <= 5 * MERKLE_GROUP_LEAVES + 3; count++) {
      const memo = new Map<string, Buffer>();
      const entries = Array.from({ length: count }, (_, index) => entryNamed(index));
      expect(encodeTree(entries, memo).id.toString('hex'), `${count} entries, empty memo`).toBe(encodeTree(entries).id.toString('hex'));
      const groups = Math.ceil(count / MERKLE_GROUP_LEAVES);
      expect(memo.size).toBe(count > MERKLE_GROUP_LEAVES ? groups + 1 : 0); // and the whole tree's key
      if (count > MERKLE_GROUP_LEAVES) expect(memo.get(wholeTreeKey(encodeTree(entries).bytes))).toEqual(encodeTree(entries).id);
      for (let edit = 0; edit < 3; edit++) {
        const at = random(entries.length);
        if (edit === 2 && entries.length > 1) entries.splice(at, 1);
        else entries[at] = { ...entries[at]!, sizeBytes: edit + 1, id: hashBytes(Buffer.from(`${entries[at]!.name}@${edit + 1}`)) };
        expect(encodeTree(entries, memo).id.toString('hex'), `${count} entries, edit ${edit}`).toBe(encodeTree(entries).id.toString('hex'));
      }
    }
  });

  it('verifies trees through the Merkle groups in its file: the same ids, fewer hashes, and a damaged tree still fails', () => {
    const entries = Array.from(
      { length: 7 * MERKLE_GROUP_LEAVES + 5 },
      (_, index): TreeEntry => ({ name: `f${String(index).padStart(4, '0')}`, kind: EntryKind.File, sizeBytes: index, id: hashBytes(Buffer.from(`${index}`)) }),
    );
    const groups = new Map<string, Buffer>();
    const { bytes, id } = encodeTree(entries, groups);
    expect(groups.size).toBe(9); // 8 groups and the whole tree
    const whole = wholeTreeKey(bytes);
    expect(groups.get(whole)).toEqual(id);
    const place = { treeCache: join(temporaryDirectory(), 'tree-cache'), fileMode: 0o600 };
    const counted = (memo: MerkleGroupMemo): { memo: MerkleGroupMemo; found: string[] } => {
      const found: string[] = [];
      const get = (key: string, wholeTree?: boolean): Buffer | undefined => {
        const root = memo.get(key, wholeTree);
        if (root !== undefined) found.push(wholeTree ? 'tree' : 'group');
        return root;
      };
      return { memo: { get, set: () => {} }, found };
    };
    // The groups alone: each one's root comes from the file.
    writeTreeCache(place, { trees: new Map(), groups: new Map([...groups].filter(([key]) => key !== whole)) });
    const byGroups = counted(treeCacheMemo(place.treeCache, 0));
    expect(treeIdOfBytes(bytes, byGroups.memo).equals(id)).toBe(true);
    expect(byGroups.found).toEqual(Array(8).fill('group'));
    // With the whole tree: one lookup, the id itself.
    writeTreeCache(place, { trees: new Map(), groups });
    const memo = treeCacheMemo(place.treeCache, 0);
    const byTree = counted(memo);
    expect(treeIdOfBytes(bytes, byTree.memo).equals(id)).toBe(true);
    expect(byTree.found).toEqual(['tree']);
    expect(verifyBlob(BlobType.Tree, id, bytes, memo)).toBe(true);
    // A byte changed in an entry changes the tree's key and its group's: the group is hashed anew, and the root differs.
    for (const at of [5 + 1, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x01;
      expect(verifyBlob(BlobType.Tree, id, damaged, memo), `byte ${at}`).toBe(false);
    }
    // A reader notes the whole trees it verified once asked (a commit keeps them for the next one).
    const noted = memo.noteWholeTrees();
    expect(treeIdOfBytes(bytes, memo).equals(id)).toBe(true);
    const other = entries.slice(1);
    expect(treeIdOfBytes(encodeTree(other).bytes, memo).equals(encodeTree(other).id)).toBe(true);
    expect(noted).toEqual(
      new Map([
        [whole, id],
        [wholeTreeKey(encodeTree(other).bytes), encodeTree(other).id],
      ]),
    );
    // Another tree whose groups the file lacks gets its own id; a missing or damaged file is no memo.
    const changed = entries.map((entry) => ({ ...entry, sizeBytes: entry.sizeBytes + 1 }));
    expect(treeIdOfBytes(encodeTree(changed).bytes, memo).equals(encodeTree(changed).id)).toBe(true);
    writeFileSync(place.treeCache, 'damaged');
    expect(treeIdOfBytes(bytes, treeCacheMemo(place.treeCache, 0)).equals(id)).toBe(true);
  });

  it('is read by default once the lookups answered without it reach one per 16 KiB of the file', () => {
    const place = { treeCache: join(temporaryDirectory(), 'tree-cache'), fileMode: 0o600 };
    // ~4,000 groups: a file of ~260 KB, read at the 17th lookup (it was the 4,097th whatever the size).
    const groups = new Map(
      Array.from({ length: 4000 }, (_, i) => [hashBytes(Buffer.from(`key ${i}`)).toString('latin1'), hashBytes(Buffer.from(`root ${i}`))]),
    );
    writeTreeCache(place, { trees: new Map(), groups });
    const lookupsBeforeReading = Math.ceil(statSync(place.treeCache).size / (16 * 1024));
    expect(lookupsBeforeReading).toBeGreaterThan(10);
    expect(lookupsBeforeReading).toBeLessThan(30);
    const [key, root] = [...groups][0]!;
    const memo = treeCacheMemo(place.treeCache);
    for (let lookup = 1; lookup <= lookupsBeforeReading; lookup++) expect(memo.get(key), `lookup ${lookup}`).toBeUndefined();
    expect(memo.get(key)).toEqual(root);
    // A missing file is read (as no memo) at the first lookup.
    const none = treeCacheMemo(join(temporaryDirectory(), 'no-tree-cache'));
    expect(none.get(key)).toBeUndefined();
  });

  it('re-hashes only the Merkle groups of a wide directory that changed, and gives the id a build without the cache gives', async () => {
    const writer = memoryWriter();
    const staged = new Map<string, StagedEntry>();
    for (let index = 0; index < 500; index++) {
      const path = `wide/f${String(index).padStart(4, '0')}`;
      staged.set(path, stagedEntry(path, 0));
    }
    let cache = emptyTreeCache();
    const random = seededRandom(7);
    for (let commit = 0; commit < 12; commit++) {
      for (let change = 0; change < 3; change++) {
        const path = `wide/f${String(random(520)).padStart(4, '0')}`;
        if (staged.has(path) && random(3) === 0) staged.delete(path);
        else staged.set(path, stagedEntry(path, commit + 1));
      }
      const staging = new StagingView(encodeStaging({ entries: sortByPathBytes([...staged.values()]), writtenAtNs: 0n }), 'test');
      const previousGroups = new Set(cache.groups.keys());
      const withCache = await buildTrees(staging, writer, cache);
      expect(withCache.root.id.toString('hex'), `commit ${commit}`).toBe((await buildTrees(staging, writer, emptyTreeCache())).root.id.toString('hex'));
      // The directory has ~32 groups; three changes (an insertion or removal moves the groups after it) leave the ones before untouched.
      if (commit > 0) expect([...withCache.cache.groups.keys()].filter((key) => previousGroups.has(key)).length).toBeGreaterThan(0);
      expect(withCache.cache.groups.size).toBeLessThanOrEqual(2 * Math.ceil(staging.count / MERKLE_GROUP_LEAVES) + 1024);
      cache = withCache.cache;
    }
  });

  it('keeps Merkle groups in its file across commits: a wide directory edited and committed gets the id of a fresh repository', async () => {
    const work = temporaryDirectory();
    const wide: Record<string, string> = {};
    for (let index = 0; index < 100; index++) wide[`wide/f${String(index).padStart(3, '0')}.txt`] = `file ${index}\n`;
    writeTree(work, wide);
    await storeOk(['init', '-q'], { cwd: work });
    expect(await commitTreeId(work, 'first')).toBe(await freshTreeId(work));
    const cacheBytes = readFileSync(join(work, TREE_CACHE));
    expect(cacheBytes.readUInt32LE(8)).toBe(4); // the version with groups and fingerprints of fingerprints
    const wideTree = (): { bytes: Buffer; id: Buffer } =>
      encodeTree(
        Object.entries(wide).map(([path, content]) => ({
          name: path.slice('wide/'.length),
          kind: EntryKind.File,
          sizeBytes: content.length,
          id: hashBytes(Buffer.from(content)),
        })),
      );
    const firstWide = wideTree();
    Object.assign(wide, { 'wide/f050.txt': 'edited\n', 'wide/f099.txt': 'edited too\n' });
    writeTree(work, wide);
    expect(await commitTreeId(work, 'edit')).toBe(await freshTreeId(work));
    // Both wide trees, the one built and the one read as its delta's base, by their whole bytes: the
    // next commit verifies each with one hash.
    const kept = readTreeCache(join(work, TREE_CACHE)).groups;
    for (const tree of [firstWide, wideTree()]) expect(kept.get(wholeTreeKey(tree.bytes))).toEqual(tree.id);
    rmSync(join(work, 'wide/f000.txt'));
    expect(await commitTreeId(work, 'removal')).toBe(await freshTreeId(work));
    expect((await storeOk(['verify'], { cwd: work })).status).toBe(0);
  });

  it('keeps every group a commit used, then earlier ones up to twice what a commit needs and 64 more', () => {
    const group = (n: number): [string, Buffer] => [`key ${n}`, hashBytes(Buffer.from(`root ${n}`))];
    const used = new Map(Array.from({ length: 300 }, (_, n) => group(n)));
    const previous = new Map(Array.from({ length: 1000 }, (_, n) => group(n + 150)));
    // 1,600 entries: 100 groups a commit, so 264 kept; the 300 used all stay even so.
    expect([...groupsToKeep(used, previous, 1600, 16).keys()]).toEqual([...used.keys()]);
    const kept = groupsToKeep(new Map([...used].slice(0, 10)), previous, 1600, 16);
    expect(kept.size).toBe(264);
    expect([...kept.keys()].slice(0, 10)).toEqual([...used.keys()].slice(0, 10));
    expect([...kept.keys()].slice(10)).toEqual([...previous.keys()].slice(0, 254));
  });

  it('ignores a damaged cache and one naming trees the repository does not have', async () => {
    const first = temporaryDirectory();
    writeTree(first, files);
    await storeOk(['init', '-q'], { cwd: first });
    const expected = await commitTreeId(first, 'first');

    const second = temporaryDirectory();
    writeTree(second, files);
    await storeOk(['init', '-q'], { cwd: second });
    copyFileSync(join(first, TREE_CACHE), join(second, TREE_CACHE)); // names trees only `first` stores
    expect(await commitTreeId(second, 'first')).toBe(expected);
    await storeOk(['verify', '--read-data'], { cwd: second });
    await storeOk(['get', 'd1/sub0/f2.txt'], { cwd: second });

    const damaged = readFileSync(join(first, TREE_CACHE));
    damaged[40] = (damaged[40] ?? 0) ^ 0xff;
    writeFileSync(join(first, TREE_CACHE), damaged);
    writeFileSync(join(first, 'd3/sub0/f0.txt'), 'edited\n');
    expect(await commitTreeId(first, 'after damage')).toBe(await freshTreeId(first));
  });

  it('is kept by gc and repair for the trees they keep, and never names a tree gc deleted', async () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    await storeOk(['init', '-q'], { cwd: work });
    await commitTreeId(work, 'first');
    await storeOk(['branch', 'keep'], { cwd: work });
    writeFileSync(join(work, 'top.txt'), 'top, on a branch gc will free\n');
    const deadRoot = await commitTreeId(work, 'second');
    await storeOk(['switch', '-q', 'keep'], { cwd: work });
    await storeOk(['branch', '-D', 'main'], { cwd: work });
    const namedBefore = [...readTreeCache(join(work, TREE_CACHE)).trees.values()].map((tree) => tree.id.toString('hex'));
    expect(namedBefore).toContain(deadRoot);

    await storeOk(['gc', '-q'], { cwd: work });
    const named = () => [...readTreeCache(join(work, TREE_CACHE)).trees.values()].map((tree) => tree.id.toString('hex'));
    const afterGc = named();
    expect(afterGc).not.toContain(deadRoot); // its tree is gone: a commit must not reuse it
    expect(afterGc.length).toBeGreaterThan(4); // the directories both commits share are still known
    expect(afterGc.length).toBeLessThan(namedBefore.length);
    expect((await storeJson<{ staged: unknown[]; unstaged: unknown[] }>(['status'], { cwd: work })).staged).toEqual([]);

    for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `.store/catalog.sqlite${suffix}`), { force: true });
    await storeOk(['repair', '-q'], { cwd: work });
    expect(named().sort()).toEqual([...afterGc].sort()); // every tree it names is in the rebuilt catalog

    writeFileSync(join(work, 'top.txt'), 'top, edited after gc and repair\n');
    expect(await commitTreeId(work, 'after gc')).toBe(await freshTreeId(work));
    await storeOk(['verify', '--read-data'], { cwd: work });
  });

  it('lets status compare the staging area with HEAD top down, with the same answer as without it', async () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    await storeOk(['init', '-q'], { cwd: work });
    await commitTreeId(work, 'first');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');

    writeFileSync(join(work, 'd2/sub1/f3.txt'), 'changed deep down\n');
    writeTree(work, { 'd1/new/dir/n.txt': 'new\n' });
    rmSync(join(work, 'd0'), { recursive: true });
    rmSync(join(work, 'top.txt'));
    writeTree(work, { 'top.txt/inner.txt': 'a file became a directory\n' });
    rmSync(join(work, 'd3/sub1'), { recursive: true });
    writeFileSync(join(work, 'd3/sub1'), 'a directory became a file\n');
    rmSync(join(work, 'd1/sub0/f0.txt'));
    symlinkSync('f2.txt', join(work, 'd1/sub0/f0.txt'));
    await storeOk(['add', '-A', '-q'], { cwd: work });
    const expected = [
      'D  d0/sub0/f0.txt',
      'D  d0/sub0/f2.txt',
      'D  d0/sub0/f4.txt',
      'D  d0/sub1/f1.txt',
      'D  d0/sub1/f3.txt',
      'A  d1/new/dir/n.txt',
      'T  d1/sub0/f0.txt',
      'M  d2/sub1/f3.txt',
      'A  d3/sub1',
      'D  d3/sub1/f1.txt',
      'D  d3/sub1/f3.txt',
      'D  top.txt',
      'A  top.txt/inner.txt',
    ]
      .map((line) => `${line}\n`)
      .join('');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(expected);
    rmSync(join(work, TREE_CACHE));
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(expected);

    await commitTreeId(work, 'second');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    await storeOk(['rm', '-q', 'd2/sub0/f0.txt'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  d2/sub0/f0.txt\n');
  });

  it("gives status HEAD's root without opening the catalog after a commit, and the catalog's for any other HEAD", async () => {
    const work = temporaryDirectory();
    writeTree(work, files);
    await storeOk(['init', '-q'], { cwd: work });
    await commitTreeId(work, 'first');
    writeFileSync(join(work, 'd2/sub1/f3.txt'), 'changed deep down\n');
    await commitTreeId(work, 'second');
    writeFileSync(join(work, 'd2/sub0/f0.txt'), 'changed, not staged\n');
    writeFileSync(join(work, 'd2/untracked.txt'), 'new\n');
    // Nothing staged: with the catalog's file no database at all, status still answers (it reads no
    // tree of HEAD, and finds HEAD's root in the tree cache): it never opened the catalog.
    const dotStore = join(work, '.store');
    const catalogFiles = readdirSync(dotStore).filter((name) => name.startsWith('catalog.sqlite'));
    expect(catalogFiles).toContain('catalog.sqlite');
    const away = temporaryDirectory();
    for (const name of catalogFiles) renameSync(join(dotStore, name), join(away, name));
    writeFileSync(join(dotStore, 'catalog.sqlite'), 'not a database\n');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M d2/sub0/f0.txt\n?? d2/untracked.txt\n');
    expect(readFileSync(join(dotStore, 'catalog.sqlite'), 'utf8')).toBe('not a database\n');
    for (const name of catalogFiles) renameSync(join(away, name), join(dotStore, name));
    // HEAD moved to the first commit: the cache names the second's root, so status asks the catalog.
    await storeOk(['switch', '-q', '-f', '--detach', 'HEAD~1'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('?? d2/untracked.txt\n');
    await storeOk(['rm', '-q', 'd1/sub0/f0.txt'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  d1/sub0/f0.txt\n?? d2/untracked.txt\n');
  });
});

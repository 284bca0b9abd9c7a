import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pseudoRandomBytes, run, STORE_BIN, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

async function freshRepository(): Promise<string> {
  const work = temporaryDirectory();
  await storeOk(['init'], { cwd: work });
  return work;
}

/** Every name below `root`, as bytes (hex), with the file's content, recursively: what must come back. */
function treeAsBytes(root: string | Buffer, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  const rootBytes = Buffer.isBuffer(root) ? root : Buffer.from(root);
  for (const name of readdirSync(rootBytes, { encoding: 'buffer' })) {
    if (name.toString() === '.store') continue;
    const path = Buffer.concat([rootBytes, Buffer.from('/'), name]);
    const key = `${prefix}${name.toString('hex')}`;
    const stats = lstatSync(path);
    if (stats.isDirectory()) for (const [inner, content] of treeAsBytes(path, `${key}/`)) out.set(inner, content);
    else out.set(key, stats.isSymbolicLink() ? 'link' : readFileSync(path).toString('hex'));
  }
  return out;
}

const bytesPath = (directory: string, ...names: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(directory), ...names.flatMap((name) => [Buffer.from('/'), name])]);

describe('names are bytes', () => {
  it('names that are not UTF-8 (invalid, overlong, encoded surrogates) and everything under them round-trip through add, status, commit, checkout, switch and get', async () => {
    const work = await freshRepository();
    const bad = Buffer.from('bad\xffname', 'latin1');
    const directory = Buffer.from('dir\xfe', 'latin1');
    const overlong = Buffer.from([0x6f, 0xc0, 0xaf]);
    const surrogate = Buffer.from([0x73, 0xed, 0xa0, 0x80]);
    writeFileSync(bytesPath(work, bad), '1');
    mkdirSync(bytesPath(work, directory));
    writeFileSync(bytesPath(work, directory, Buffer.from('ok.txt')), '2');
    writeFileSync(bytesPath(work, overlong), '3');
    writeFileSync(bytesPath(work, surrogate), '4');
    writeFileSync(join(work, 'good.txt'), '5');
    const before = treeAsBytes(work);

    const added = await storeJson<{ added: string[]; failed: unknown[]; skipped: unknown[] }>(['add', '-A'], { cwd: work });
    expect(added.added).toHaveLength(5);
    expect(added.failed).toEqual([]);
    const porcelain = (await storeOk(['status', '--porcelain'], { cwd: work })).text;
    expect(porcelain).toBe('A  "bad\\377name"\nA  "dir\\376/ok.txt"\nA  good.txt\nA  "o\\300\\257"\nA  "s\\355\\240\\200"\n');
    const status = await storeJson<{ staged: { path: string; pathBase64?: string }[] }>(['status'], { cwd: work });
    const decoded = status.staged.map((item) => (item.pathBase64 ? Buffer.from(item.pathBase64, 'base64') : Buffer.from(item.path)).toString('hex'));
    expect(decoded.sort()).toEqual(
      [...before.keys()]
        .map((key) =>
          key
            .split('/')
            .map((part) => Buffer.from(part, 'hex').toString('hex'))
            .join(Buffer.from('/').toString('hex')),
        )
        .sort(),
    );
    await storeOk(['commit', '-m', 'bytes'], { cwd: work });

    const out = join(temporaryDirectory(), 'out');
    await storeOk(['checkout', 'HEAD', '-o', out], { cwd: work });
    expect(treeAsBytes(out)).toEqual(before);

    // switch away to an empty branch and back: the work tree is rebuilt from the commit alone.
    await storeOk(['switch', '-c', 'other'], { cwd: work });
    await storeOk(['rm', '-r', '-q', '.'], { cwd: work });
    await storeOk(['commit', '-m', 'empty'], { cwd: work });
    expect(treeAsBytes(work).size).toBe(0);
    await storeOk(['switch', 'main'], { cwd: work });
    expect(treeAsBytes(work)).toEqual(before);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');

    // A name passed on the command line as its bytes.
    const got = await run('sh', ['-c', `"${process.execPath}" "${STORE_BIN}" get "$(printf 'bad\\377name')"`], { cwd: work });
    expect(got.status).toBe(0);
    expect(got.text).toBe('1');
    const log = await storeOk(['log'], { cwd: work });
    expect(log.text).toContain('bytes');

    // diff, stats and proof name it the same way.
    writeFileSync(bytesPath(work, bad), 'changed');
    expect((await storeOk(['diff', '--name-status'], { cwd: work })).text).toBe('M\t"bad\\377name"\n');
    const diffJson = await storeJson<{ path: string; pathBase64?: string }[]>(['diff'], { cwd: work });
    expect(Buffer.from(diffJson[0]!.pathBase64!, 'base64').equals(bad)).toBe(true);
    expect((await storeOk(['stats'], { cwd: work })).text).toContain('"dir\\376/ok.txt"');
    const head = (await storeJson<{ commitId: string }[]>(['log'], { cwd: work }))[0]!.commitId;
    const proof = await run('sh', ['-c', `"${process.execPath}" "${STORE_BIN}" proof "$(printf 'dir\\376/ok.txt')" -o proof.json`], { cwd: work });
    expect(proof.status).toBe(0);
    const verified = await storeOk(['proof', 'verify', join(work, 'proof.json'), head], { cwd: work });
    expect(verified.text).toContain('valid: "dir\\376/ok.txt" has file id');
  });

  it('a 255-byte name and a path of about 4,000 bytes restore through checkout -o, in-place checkout, switch and get -o', async () => {
    const work = await freshRepository();
    const longName = 'n'.repeat(255);
    const segments = Array.from({ length: 15 }, (_, index) => `${String(index).padStart(2, '0')}${'d'.repeat(250)}`);
    const deep = join(...segments, 'f'.repeat(200));
    expect(Buffer.byteLength(deep)).toBeGreaterThan(3900);
    writeFileSync(join(work, longName), 'long name\n');
    mkdirSync(join(work, ...segments), { recursive: true });
    writeFileSync(join(work, deep), 'deep\n');
    writeFileSync(join(work, 'short.txt'), 'short\n');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'long'], { cwd: work });

    const out = join(temporaryDirectory('s-'), 'o');
    await storeOk(['checkout', 'HEAD', '-o', out], { cwd: work });
    expect(readFileSync(join(out, longName), 'utf8')).toBe('long name\n');
    expect(readFileSync(join(out, deep), 'utf8')).toBe('deep\n');

    await storeOk(['rm', '-q', longName], { cwd: work });
    await storeOk(['reset', longName], { cwd: work });
    expect(existsSync(join(work, longName))).toBe(false);
    await storeOk(['checkout', 'HEAD', longName], { cwd: work });
    expect(readFileSync(join(work, longName), 'utf8')).toBe('long name\n');

    await storeOk(['switch', '-c', 'empty'], { cwd: work });
    await storeOk(['rm', '-r', '-q', '.'], { cwd: work });
    await storeOk(['commit', '-m', 'empty'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    expect(readFileSync(join(work, deep), 'utf8')).toBe('deep\n');

    const target = join(temporaryDirectory(), longName);
    await storeOk(['get', longName, '-o', target], { cwd: work });
    expect(readFileSync(target, 'utf8')).toBe('long name\n');
  });
});

describe('a checkout that fails on one path', () => {
  it('restores the others, names the path and its reason, and exits 9', async () => {
    const work = await freshRepository();
    mkdirSync(join(work, 'd'));
    writeFileSync(join(work, 'd/x'), 'x');
    writeFileSync(join(work, 'a.txt'), 'a');
    writeFileSync(join(work, 'z.txt'), 'z');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'three'], { cwd: work });
    const out = temporaryDirectory();
    writeFileSync(join(out, 'd'), 'a file where the commit has a directory');
    const result = await store(['checkout', 'HEAD', '-o', out], { cwd: work });
    expect(result.status).toBe(9);
    expect(result.stderr).toContain('could not restore 1 of 3 paths');
    expect(result.stderr).toMatch(/d\/x: .*(EEXIST|ENOTDIR|not a directory|file already exists)/i);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('a');
    expect(readFileSync(join(out, 'z.txt'), 'utf8')).toBe('z');
  });
});

describe('a switch that cannot write one file', () => {
  it('writes the others, names the damaged one, leaves HEAD where it was and the staging area matching the disk', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a.txt'), 'main');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'main'], { cwd: work });
    await storeOk(['switch', '-c', 'feature'], { cwd: work });
    writeFileSync(join(work, 'good.txt'), 'good');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'good'], { cwd: work });
    writeFileSync(join(work, 'bad.bin'), pseudoRandomBytes(300 * 1024, 7));
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'bad'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    expect(existsSync(join(work, 'good.txt'))).toBe(false);
    // bad.bin's chunks, stored raw (random bytes do not compress), fill the largest pack.
    const packs = readdirSync(join(work, '.store/packs'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.pack'));
    const largest = packs.map((name) => join(work, '.store/packs', name)).sort((a, b) => lstatSync(b).size - lstatSync(a).size)[0]!;
    chmodSync(largest, 0o600);
    const bytes = readFileSync(largest);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(largest, bytes);

    const result = await store(['switch', 'feature'], { cwd: work });
    expect(result.status).toBe(8);
    expect(result.stderr).toContain('could not restore 1 of 3 paths');
    expect(result.stderr).toContain('bad.bin');
    expect(readFileSync(join(work, 'good.txt'), 'utf8')).toBe('good');
    expect(existsSync(join(work, 'bad.bin'))).toBe(false);
    expect((await storeJson<{ name: string; current: boolean }[]>(['branch'], { cwd: work })).find((branch) => branch.current)?.name).toBe('main');
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('A  good.txt\n');
  });
});

describe('gc', () => {
  it('keeps what only the staging area holds', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'committed.txt'), 'committed');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    const staged = pseudoRandomBytes(200 * 1024, 11);
    writeFileSync(join(work, 'staged.bin'), staged);
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['gc'], { cwd: work });
    await storeOk(['commit', '-m', 'two'], { cwd: work });
    expect((await storeOk(['get', 'staged.bin'], { cwd: work })).stdout.equals(staged)).toBe(true);
    await storeOk(['verify', '--read-data'], { cwd: work });
  });
});

describe('metadata comes back as it was', () => {
  it('permission bits, nanosecond times of files, directories and symlinks, holes and hard links', async () => {
    const work = await freshRepository();
    const modes: [string, number][] = [
      ['private', 0o600],
      ['group', 0o640],
      ['owner-exec', 0o700],
      ['exec', 0o755],
      ['setuid', 0o4755],
      ['plain', 0o644],
    ];
    for (const [name, mode] of modes) {
      writeFileSync(join(work, name), name);
      chmodSync(join(work, name), mode);
    }
    mkdirSync(join(work, 'secret'));
    writeFileSync(join(work, 'secret/inside'), 'inside');
    chmodSync(join(work, 'secret'), 0o711);
    symlinkSync('private', join(work, 'link'));
    writeFileSync(join(work, 'sparse'), 'head');
    truncateSync(join(work, 'sparse'), 50 * 1024 * 1024);
    appendFileSync(join(work, 'sparse'), 'tail');
    linkSync(join(work, 'group'), join(work, 'group-link'));
    // Times with nanoseconds a double of seconds cannot hold; a symlink's and a directory's own.
    const stamp = (path: string, time: string): Promise<unknown> => run('touch', ['-h', '-d', time, path], { cwd: work });
    for (const [index, [name]] of modes.entries()) await stamp(join(work, name), `@1700000000.${String(123456789 + index).padStart(9, '0')}`);
    await stamp(join(work, 'link'), '@1600000000.987654321');
    await stamp(join(work, 'sparse'), '@1650000000.000000001');
    await stamp(join(work, 'secret/inside'), '@1500000000.5');
    await stamp(join(work, 'secret'), '@1400000000.111111111');
    const names = [...modes.map(([name]) => name), 'link', 'sparse', 'secret', 'secret/inside', 'group-link'];
    const statsOf = (root: string, name: string) => lstatSync(join(root, name), { bigint: true });
    const before = new Map(names.map((name) => [name, statsOf(work, name)]));
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'metadata'], { cwd: work });

    const out = join(temporaryDirectory(), 'out');
    await storeOk(['checkout', 'HEAD', '-o', out], { cwd: work });
    for (const name of names) {
      const [was, now] = [before.get(name)!, statsOf(out, name)];
      expect(now.mode, name).toBe(was.mode);
      expect(now.mtimeNs, name).toBe(was.mtimeNs);
      expect(now.size, name).toBe(was.size);
    }
    expect(statsOf(out, 'sparse').blocks).toBeLessThan(1024n); // 50 MiB in 512-byte blocks would be 102,400
    expect(readFileSync(join(out, 'sparse')).subarray(-4).toString()).toBe('tail');
    expect(statsOf(out, 'group-link').ino).toBe(statsOf(out, 'group').ino);
    expect(statsOf(out, 'private').ino).not.toBe(statsOf(out, 'group').ino);
  });

  it("hard links come back in place through switch: a file left in place is linked to its group's file written anew", async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a'), 'other');
    writeFileSync(join(work, 'b'), 'shared');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'apart'], { cwd: work });
    await storeOk(['switch', '-c', 'linked'], { cwd: work });
    rmSync(join(work, 'a'));
    linkSync(join(work, 'b'), join(work, 'a')); // 'a' (written on switch) sorts before 'b' (left in place)
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'linked'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    expect(lstatSync(join(work, 'a')).ino).not.toBe(lstatSync(join(work, 'b')).ino);
    expect(readFileSync(join(work, 'a'), 'utf8')).toBe('other');
    await storeOk(['switch', 'linked'], { cwd: work });
    expect(readFileSync(join(work, 'a'), 'utf8')).toBe('shared');
    expect(lstatSync(join(work, 'a')).ino).toBe(lstatSync(join(work, 'b')).ino);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
  });

  it('a permission change is a modification: status shows it, and it can be committed; tree ids stay content-only', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'f'), 'same');
    chmodSync(join(work, 'f'), 0o644);
    await storeOk(['add', '-A'], { cwd: work });
    const first = await storeJson<{ treeId: string; commitId: string }>(['commit', '-m', 'one'], { cwd: work });
    chmodSync(join(work, 'f'), 0o600);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' M f\n');
    await storeOk(['add', '-A'], { cwd: work });
    const second = await storeJson<{ treeId: string; commitId: string }>(['commit', '-m', 'private now'], { cwd: work });
    expect(second.treeId).toBe(first.treeId);
    expect(second.commitId).not.toBe(first.commitId);
    const nothing = await store(['commit', '-m', 'again'], { cwd: work });
    expect(nothing.status).toBe(1);
    // reset takes HEAD's modes back with its content: the staging area then still matches HEAD.
    await storeOk(['reset'], { cwd: work });
    expect((await store(['commit', '-m', 'after reset'], { cwd: work })).status).toBe(1);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    const out = join(temporaryDirectory(), 'out');
    await storeOk(['checkout', first.commitId, '-o', out], { cwd: work });
    expect(lstatSync(join(out, 'f')).mode & 0o7777).toBe(0o644);
  });
});

describe('private by default', () => {
  it('init makes .store/ readable by its owner only, whatever the umask, and every later file stays so; --shared=group opens it to the group', async () => {
    const parent = temporaryDirectory();
    const script = (directory: string, extra: string): string =>
      `umask 000 && mkdir ${directory} && cd ${directory} && "${process.execPath}" "${STORE_BIN}" init -q ${extra} && echo x > f && "${process.execPath}" "${STORE_BIN}" add -A -q && "${process.execPath}" "${STORE_BIN}" commit -q -m m`;
    expect((await run('sh', ['-c', script('private', '')], { cwd: parent })).status).toBe(0);
    expect((await run('sh', ['-c', script('shared', '--shared=group')], { cwd: parent })).status).toBe(0);
    const modes = (root: string): Map<string, number> => {
      const out = new Map<string, number>();
      const walk = (path: string, relative: string): void => {
        out.set(relative, lstatSync(path).mode & 0o7777);
        if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name), `${relative}/${name}`);
      };
      walk(join(root, '.store'), '.store');
      return out;
    };
    const privateModes = modes(join(parent, 'private'));
    expect(privateModes.size).toBeGreaterThan(10);
    for (const [path, mode] of privateModes) {
      const isDirectory = lstatSync(join(parent, 'private', path)).isDirectory();
      if (isDirectory) expect(mode, path).toBe(0o700);
      else if (path.endsWith('.pack')) expect(mode, path).toBe(0o400);
      else expect(mode, path).toBe(0o600);
    }
    for (const [path, mode] of modes(join(parent, 'shared'))) {
      const isDirectory = lstatSync(join(parent, 'shared', path)).isDirectory();
      if (isDirectory) expect(mode, path).toBe(0o2770);
      else if (path.endsWith('.pack')) expect(mode, path).toBe(0o440);
      else expect(mode, path).toBe(0o660);
    }
  });
});

describe('no command destroys uncommitted work without --force', () => {
  it('rm refuses a modified file, a staged one, and (with --cached) one whose staged content is in neither HEAD nor the file', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'tracked.c'), 'int main;\n');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });

    appendFileSync(join(work, 'tracked.c'), 'edit\n');
    const modified = await store(['rm', 'tracked.c'], { cwd: work });
    expect(modified.status).toBe(1);
    expect(modified.stderr).toContain('has local modifications');
    expect(readFileSync(join(work, 'tracked.c'), 'utf8')).toBe('int main;\nedit\n');

    await storeOk(['add', 'tracked.c'], { cwd: work });
    const staged = await store(['rm', 'tracked.c'], { cwd: work });
    expect(staged.status).toBe(1);
    expect(staged.stderr).toContain('has changes staged');
    appendFileSync(join(work, 'tracked.c'), 'more\n');
    const both = await store(['rm', '--cached', 'tracked.c'], { cwd: work });
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('staged content different from both the file and HEAD');

    writeFileSync(join(work, 'new.txt'), 'new');
    await storeOk(['add', 'new.txt'], { cwd: work });
    expect((await store(['rm', 'new.txt'], { cwd: work })).status).toBe(1);
    await storeOk(['rm', '--cached', 'new.txt'], { cwd: work });
    expect(readFileSync(join(work, 'new.txt'), 'utf8')).toBe('new');

    await storeOk(['rm', '-f', 'tracked.c'], { cwd: work });
    expect(existsSync(join(work, 'tracked.c'))).toBe(false);
  });

  it('rm of an unchanged file removes it', async () => {
    const work = await freshRepository();
    writeFileSync(join(work, 'a'), 'a');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'one'], { cwd: work });
    expect((await storeOk(['rm', 'a'], { cwd: work })).text).toBe("rm 'a'\n");
    expect(existsSync(join(work, 'a'))).toBe(false);
  });

  it("reset PATH gives back HEAD's entries under PATH only, content and mode, and keeps its neighbours staged", async () => {
    const work = await freshRepository();
    for (const path of ['d-b', 'd.txt', 'd/x', 'd/y/z', 'd0']) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), `${path} one\n`);
    }
    chmodSync(join(work, 'd/x'), 0o755);
    await storeOk(['commit', '-A', '-q', '-m', 'one'], { cwd: work });
    writeFileSync(join(work, 'd/x'), 'd/x two\n');
    writeFileSync(join(work, 'd/new'), 'new\n');
    writeFileSync(join(work, 'd-b'), 'd-b two\n');
    writeFileSync(join(work, 'd0'), 'd0 two\n');
    rmSync(join(work, 'd/y/z'));
    await storeOk(['add', '-A', '-q'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  d-b\nA  d/new\nM  d/x\nD  d/y/z\nM  d0\n');
    await storeOk(['reset', '-q', 'd'], { cwd: work });
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('M  d-b\n M d/x\n D d/y/z\nM  d0\n?? d/new\n');
    await storeOk(['commit', '-q', '-m', 'two'], { cwd: work });
    const out = join(temporaryDirectory(), 'out');
    await storeOk(['checkout', '-q', '-o', out, 'HEAD'], { cwd: work });
    expect(readFileSync(join(out, 'd/x'), 'utf8')).toBe('d/x one\n');
    expect(statSync(join(out, 'd/x')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, 'd/y/z'), 'utf8')).toBe('d/y/z one\n');
    expect(readFileSync(join(out, 'd-b'), 'utf8')).toBe('d-b two\n');
    expect(readFileSync(join(out, 'd0'), 'utf8')).toBe('d0 two\n');
    expect(existsSync(join(out, 'd/new'))).toBe(false);
  });

  it('rm -r of a directory removes what lies under it and nothing that only sorts near it', async () => {
    const work = await freshRepository();
    // In byte order d-b and d.txt sort between d/ and its files' neighbours: d-b < d.txt < d/x < d0.
    for (const path of ['d-b', 'd.txt', 'd/x', 'd/y/z', 'd0', 'e']) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), path);
    }
    await storeOk(['commit', '-A', '-q', '-m', 'one'], { cwd: work });
    const withoutR = await store(['rm', '--cached', 'd'], { cwd: work });
    expect(withoutR.status).toBe(2);
    expect(withoutR.stderr).toContain("not removing 'd' recursively without -r");
    expect((await store(['rm', '--cached', 'nothing-here'], { cwd: work })).status).toBe(5);
    expect((await storeOk(['rm', '-r', '--cached', 'd', 'd/x'], { cwd: work })).text).toBe("rm 'd/x'\nrm 'd/y/z'\n");
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  d/x\nD  d/y/z\n?? d/\n');
    expect((await storeOk(['rm', '-q', 'd-b', 'd0'], { cwd: work })).text).toBe('');
    expect(existsSync(join(work, 'd-b'))).toBe(false);
    expect(existsSync(join(work, 'd0'))).toBe(false);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('D  d-b\nD  d/x\nD  d/y/z\nD  d0\n?? d/\n');
  });
});

describe('ignored and nested', () => {
  it('an explicitly named ignored path is refused with status 1 unless -f; a directory with its own .store is not descended into', async () => {
    const work = await freshRepository();
    mkdirSync(join(work, 'build'));
    writeFileSync(join(work, 'build/out.o'), 'object');
    writeFileSync(join(work, '.storeignore'), 'build/\n');
    writeFileSync(join(work, 'kept.txt'), 'kept');
    const refused = await store(['add', 'build/out.o', 'kept.txt'], { cwd: work });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('paths are ignored by .storeignore: build/out.o; use -f to add them');
    expect((await storeJson<{ staged: unknown[] }>(['status'], { cwd: work })).staged).toEqual([]);
    const json = await store(['add', 'build/out.o', '--json'], { cwd: work });
    expect(JSON.parse(json.text).error.code).toBe('PATH_IGNORED');
    await storeOk(['add', '-f', 'build/out.o'], { cwd: work });
    expect((await storeJson<{ staged: { path: string }[] }>(['status'], { cwd: work })).staged.map((item) => item.path)).toEqual(['build/out.o']);

    mkdirSync(join(work, 'inner'));
    await storeOk(['init'], { cwd: join(work, 'inner') });
    writeFileSync(join(work, 'inner/own.txt'), 'its own');
    const status = await storeJson<{ untracked: string[]; nestedRepositories: string[] }>(['status'], { cwd: work });
    expect(status.nestedRepositories).toEqual(['inner']);
    expect(status.untracked).not.toContain('inner/own.txt');
    expect((await storeOk(['status'], { cwd: work })).text).toContain('Nested repositories, not descended into');
    await storeOk(['add', '-A'], { cwd: work });
    expect((await storeJson<{ staged: { path: string }[] }>(['status'], { cwd: work })).staged.map((item) => item.path)).not.toContain('inner/own.txt');
  });
});

/** Polls every 5 ms until `condition` holds or 30 s pass (the assertions after it tell which). */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('interrupts', () => {
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during add prints one line, exits ${status}, releases the lock and removes temporary packs; verify passes`, async () => {
      const work = await freshRepository();
      await run('sh', ['-c', 'head -c 400000000 /dev/urandom > big'], { cwd: work });
      const child = spawn(process.execPath, [STORE_BIN, 'add', '-A'], { cwd: work, env: { ...process.env, STORE_AUTHOR: 'tester' } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Once a pack is being written (a temporary file under .store/tmp), the add is in the middle of its work.
      await waitUntil(() => readdirSync(join(work, '.store/tmp')).length > 0);
      expect(existsSync(join(work, '.store/lock'))).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(status);
      expect(stderr.trim().split('\n')).toEqual([`store: interrupted by ${signal}; the repository is as the last completed step left it`]);
      expect(existsSync(join(work, '.store/lock'))).toBe(false);
      expect(readdirSync(join(work, '.store/tmp'))).toEqual([]);
      await storeOk(['verify', '--read-data'], { cwd: work });
      await storeOk(['add', '-A'], { cwd: work }); // and the work can be done again
    });
  }

  it('Ctrl-C at a terminal gives back the cursor and line wrap that the progress bar took', async () => {
    const work = await freshRepository();
    await run('sh', ['-c', 'head -c 400000000 /dev/urandom > big'], { cwd: work });
    // `script` gives the command a terminal, so that add draws its bar; the shell records add's PID.
    // Both files lie outside the work tree, which add -A reads.
    const outside = temporaryDirectory();
    const pidFile = join(outside, 'add.pid');
    const terminalLog = join(outside, 'terminal.log');
    const inTerminal = run('script', ['-qfec', `"${process.execPath}" "${STORE_BIN}" add -A & echo $! > "${pidFile}"; wait`, terminalLog], {
      cwd: work,
    });
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' && readdirSync(join(work, '.store/tmp')).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few redraws of the bar
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGINT');
    await inTerminal;
    const screen = readFileSync(terminalLog, 'latin1');
    expect(screen).toContain('\x1b[?25l'); // the bar hid the cursor
    const end = screen.lastIndexOf('store: interrupted by SIGINT');
    expect(end).toBeGreaterThan(0);
    expect(screen.slice(0, end)).toMatch(/\x1b\[\?25h\x1b\[\?7h\r\x1b\[2K$/);
    expect(existsSync(join(work, '.store/lock'))).toBe(false);
  });

  it('SIGTERM during an in-place checkout removes the half-written file and the lock; the staging area is as before', async () => {
    const work = await freshRepository();
    await run('sh', ['-c', 'head -c 300000000 /dev/urandom > big'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'big'], { cwd: work });
    await run('rm', ['big'], { cwd: work });
    const child = spawn(process.execPath, [STORE_BIN, 'checkout', 'HEAD', 'big'], { cwd: work });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const temporaryFiles = (): string[] => readdirSync(work).filter((name) => name.endsWith('.tmp'));
    await waitUntil(() => temporaryFiles().length > 0);
    expect(temporaryFiles()).toHaveLength(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(temporaryFiles()).toEqual([]);
    expect(existsSync(join(work, '.store/lock'))).toBe(false);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe(' D big\n');
  });
});

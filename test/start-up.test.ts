import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STORE_BIN, store, temporaryDirectory } from './helpers.js';

const LOADER = resolve(import.meta.dirname, '..', 'bin', 'load-bundle.js');
const CODE_CACHE = resolve(import.meta.dirname, '..', 'dist', 'bundle', 'store.code-cache');

/** Loads the bundle in a fresh node, with the cache at `codeCacheFile` (the built one by default). */
async function loadWith(codeCacheFile?: string): Promise<{ fromCodeCache: boolean; run: string }> {
  const script = `import { loadBundle } from ${JSON.stringify(LOADER)};
const bundle = loadBundle(${codeCacheFile === undefined ? '' : `{ codeCacheFile: ${JSON.stringify(codeCacheFile)} }`});
console.log(JSON.stringify({ fromCodeCache: bundle.fromCodeCache, run: typeof bundle.exports.run }));`;
  // No inherited NODE_OPTIONS: V8 rejects a cache made under other flags, as it should.
  const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: temporaryDirectory(), env: { NODE_OPTIONS: '' } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.text);
}

describe('start-up: the bundle compiled from its code cache', () => {
  it('uses the cache the build made', async () => {
    expect(await loadWith()).toEqual({ fromCodeCache: true, run: 'function' });
  });

  it('ignores a cache made from other source, and one V8 rejects, and still runs', async () => {
    const dir = temporaryDirectory();
    const built = readFileSync(CODE_CACHE);
    // The bundle's build id leads the cache: one bit off there means another build.
    const otherSource = Buffer.from(built);
    otherSource[0] = otherSource[0]! ^ 1;
    writeFileSync(join(dir, 'other-source'), otherSource);
    expect(await loadWith(join(dir, 'other-source'))).toEqual({ fromCodeCache: false, run: 'function' });
    // The right hash before bytes that are no V8 cache at all.
    const garbage = Buffer.concat([built.subarray(0, 32), Buffer.alloc(4096, 0x5a)]);
    writeFileSync(join(dir, 'garbage'), garbage);
    expect(await loadWith(join(dir, 'garbage'))).toEqual({ fromCodeCache: false, run: 'function' });
    expect(await loadWith(join(dir, 'missing'))).toEqual({ fromCodeCache: false, run: 'function' });
  });

  it('loads no native addon: each is loaded when a command first needs it', async () => {
    // A module that made a BLAKE3 hasher as it loaded cost every command, `--version` too, the addon's dlopen (~2 ms).
    const script = `const { loadBundle } = require(${JSON.stringify(LOADER)});
loadBundle();
console.log(JSON.stringify(Object.keys(require.cache).filter((path) => path.endsWith('.node'))));`;
    const result = await run(process.execPath, ['-e', script], { cwd: temporaryDirectory(), env: { NODE_OPTIONS: '' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.text)).toEqual([]);
  });

  it('a clean status loads none of tty, net, fs/promises and the ES module resolver: nothing it does needs them', async () => {
    // oclif made stderr (on a pipe, that loads net), asked tty about the terminal, resolved its plugin
    // with Node's ES module resolver and read its JSON files through fs/promises (libuv's threads, one
    // round trip after another): ~10 ms of a status's start together.
    const cwd = temporaryDirectory();
    expect((await store(['init'], { cwd })).status).toBe(0);
    const script = `process.on('exit', () => require('node:fs').writeSync(2, JSON.stringify(process.moduleLoadList.filter((name) => /^NativeModule (net|tty|internal\\/fs\\/promises|internal\\/modules\\/esm\\/resolve)$/.test(name)))));
process.argv = [process.execPath, ${JSON.stringify(STORE_BIN)}, 'status'];
require(${JSON.stringify(STORE_BIN)});`;
    // stdout a file, as where a script sends what it does not read; stderr a pipe, written only on error.
    // NODE_ENV as users have it: vitest's `test`, to oclif, means development (it looks for TypeScript sources).
    const env = { NODE_OPTIONS: '', NODE_ENV: '' };
    const result = await run('sh', ['-c', 'exec "$0" -e "$1" > /dev/null', process.execPath, script], { cwd, env });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stderr)).toEqual([]);
  });

  it('runs commands of a plugin, which oclif loads with import()', async () => {
    // Code compiled from a code cache has no dynamic import of its own on Node 20 (bin/load-bundle.js).
    const result = await store(['autocomplete', 'bash'], { cwd: temporaryDirectory(), env: { XDG_CACHE_HOME: temporaryDirectory() } });
    expect(result.stderr).not.toMatch(/ERR_VM_DYNAMIC_IMPORT/);
    expect(result.status).toBe(0);
    expect(result.text).toContain('store');
  });
  it('run as a program, node starts without NODE_EXTRA_CA_CERTS (Node 20 parses it at start) and the command still sees it', async () => {
    const missing = join(temporaryDirectory(), 'missing.pem');
    // node run directly loads the file at start, and warns when it can't: the warning shows it did.
    const direct = await run(process.execPath, [STORE_BIN, '--version'], { cwd: temporaryDirectory(), env: { NODE_EXTRA_CA_CERTS: missing } });
    expect(direct.stderr).toContain(`Warning: Ignoring extra certs from \`${missing}\``);
    const asProgram = await run(STORE_BIN, ['--version'], { cwd: temporaryDirectory(), env: { NODE_EXTRA_CA_CERTS: missing } });
    expect(asProgram.stderr).toBe('');
    expect(asProgram.status).toBe(0);
    expect(asProgram.text).toMatch(/^store\/\d+\.\d+\.\d+ /);
    // Put back for what the command runs (test/remote.test.ts: an https remote trusts the file).
    const hook = join(temporaryDirectory(), 'print-env.cjs');
    writeFileSync(hook, "process.on('exit', () => process.stderr.write(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS, process.env.STORE_EXTRA_CA_CERTS])));");
    const seen = await run(STORE_BIN, ['--version'], { cwd: temporaryDirectory(), env: { NODE_EXTRA_CA_CERTS: missing, NODE_OPTIONS: `--require ${hook}` } });
    expect(JSON.parse(seen.stderr)).toEqual([missing, null]);
  });
});

// Makes dist/bundle/store.code-cache, V8's compiled code for the bundle, after `oclif manifest`.
// A cache holds the functions compiled by the time it is made: taken right after loading, it held
// the bundle's top-level code only, and every command compiled the functions it ran (~5 ms of a
// status, more of a commit). So the common commands first run here, on a small tree (a warm-up),
// and the cache is taken after them, with V8's flags back at their defaults: V8 rejects a cache made
// under other flags, and run() sets one (core/memory.ts). A fresh process then checks that V8 takes
// the cache; if it does not, the cache of the bundle's top-level code alone is kept.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { CODE_CACHE_FILE, loadBundle } from '../bin/load-bundle.js';

const BIN_URL = new URL('../bin/run.js', import.meta.url);
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOADER_URL = new URL('../bin/load-bundle.js', import.meta.url);

const bundle = loadBundle();
save(bundle.codeCache());
try {
  await warmUp(bundle.exports.run);
  setFlagsFromString('--semi-space-growth-factor=2'); // V8's default (see core/memory.ts)
  const temporary = `${CODE_CACHE_FILE}.warm`;
  writeFileSync(temporary, bundle.codeCache());
  if (takenByFreshProcess(temporary)) renameSync(temporary, CODE_CACHE_FILE);
  else {
    rmSync(temporary);
    console.warn('code-cache: V8 rejected the cache taken after the warm-up; kept the one of the top-level code');
  }
} catch (error) {
  console.warn(`code-cache: the warm-up failed (${error.message}); kept the cache of the top-level code`);
}

function save(cache) {
  const temporary = `${CODE_CACHE_FILE}.tmp`;
  writeFileSync(temporary, cache);
  renameSync(temporary, CODE_CACHE_FILE);
}

/** Runs the commands a user runs most, in this process, in a temporary work tree. */
async function warmUp(run) {
  const workTree = mkdtempSync(join(tmpdir(), 'store-code-cache-'));
  const startedIn = process.cwd();
  const argv = process.argv;
  const writeStdout = process.stdout.write;
  const write = (path, text) => {
    mkdirSync(join(workTree, path, '..'), { recursive: true });
    writeFileSync(join(workTree, path), text);
  };
  const store = async (...words) => {
    process.argv = [argv[0], BIN_URL.pathname, ...words];
    await run(PACKAGE_ROOT);
    if (process.exitCode) throw new Error(`store ${words.join(' ')} exited with status ${process.exitCode}`);
  };
  try {
    process.chdir(workTree);
    // What status, diff and log print is not wanted here.
    process.stdout.write = (...args) => {
      args.find((arg) => typeof arg === 'function')?.();
      return true;
    };
    for (let i = 0; i < 40; i++) write(`src/part-${i % 4}/file-${i}.txt`, `line ${i}\n`.repeat(200 + i));
    await store('init', '-q');
    await store('add', '-A', '-q');
    await store('commit', '-q', '-m', 'first');
    for (let i = 0; i < 40; i += 3) write(`src/part-${i % 4}/file-${i}.txt`, `line ${i} changed\n`.repeat(200 + i));
    await store('status', '-q');
    await store('diff');
    await store('commit', '-A', '-q', '-m', 'second');
    await store('log', '-q');
    await store('checkout', '-q', '-o', join(workTree, 'out'), 'HEAD~1');
  } finally {
    process.chdir(startedIn);
    process.argv = argv;
    process.stdout.write = writeStdout;
    rmSync(workTree, { recursive: true, force: true });
  }
}

function takenByFreshProcess(cacheFile) {
  const script = `import { loadBundle } from ${JSON.stringify(LOADER_URL.href)};
process.stdout.write(String(loadBundle({ codeCacheFile: ${JSON.stringify(cacheFile)} }).fromCodeCache));`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } }).toString() === 'true';
}

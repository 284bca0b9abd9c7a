// Loads the CLI bundle (dist/bundle/store.cjs) as a script compiled with V8's code cache
// (dist/bundle/store.code-cache, made by build-tools/code-cache.mjs at build time): every command,
// even `store --version`, then skips parsing and compiling ~750 KB of JavaScript (~20 ms a command).
// The cache starts with the SHA-256 of the bundle it was made from: V8 itself only compares the
// source's length. A cache that does not match, or that V8 rejects (another Node.js, other V8
// flags), is not used, and the bundle is compiled as usual.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export const BUNDLE_FILE = fileURLToPath(new URL('../dist/bundle/store.cjs', import.meta.url));
export const CODE_CACHE_FILE = fileURLToPath(new URL('../dist/bundle/store.code-cache', import.meta.url));
const HASH_BYTES = 32;

/**
 * The bundle's exports; whether it was compiled from the code cache; and `codeCache()`, the cache to
 * save for this very bundle. (`codeCacheFile` is for tests: a cache that must not be used.)
 */
export function loadBundle({ codeCacheFile = CODE_CACHE_FILE } = {}) {
  const source = readFileSync(BUNDLE_FILE, 'utf8');
  const sourceHash = createHash('sha256').update(source).digest();
  const cachedData = cachedDataFor(codeCacheFile, sourceHash);
  // Strict, as the ES module it is built from was.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __storeImport) {'use strict';${source}\n})`, {
    filename: BUNDLE_FILE,
    cachedData,
  });
  const module = new Module(BUNDLE_FILE);
  module.filename = BUNDLE_FILE;
  const require = createRequire(BUNDLE_FILE);
  // oclif loads the commands from the bundle (package.json's oclif.commands.target) with require():
  // it finds this instance instead of evaluating the file a second time.
  require.cache[BUNDLE_FILE] = module;
  script.runInThisContext()(module.exports, require, module, BUNDLE_FILE, dirname(BUNDLE_FILE), (specifier) => import(specifier));
  module.loaded = true;
  return {
    exports: module.exports,
    fromCodeCache: cachedData !== undefined && !script.cachedDataRejected,
    codeCache: () => Buffer.concat([sourceHash, script.createCachedData()]),
  };
}

function cachedDataFor(codeCacheFile, sourceHash) {
  let cache;
  try {
    cache = readFileSync(codeCacheFile);
  } catch {
    return undefined;
  }
  return cache.length > HASH_BYTES && cache.subarray(0, HASH_BYTES).equals(sourceHash) ? cache.subarray(HASH_BYTES) : undefined;
}

// Loads the CLI bundle (dist/bundle/store.cjs) as a script compiled with V8's code cache
// (dist/bundle/store.code-cache, made by build-tools/code-cache.mjs at build time): every command,
// even `store --version`, then skips parsing and compiling ~750 KB of JavaScript (~20 ms a command).
// The bundle's first line names its build (the SHA-256 of the rest, written by build-tools/bundle.mjs)
// and the cache starts with that id: V8 itself only compares the source's length. The id is read,
// not computed again: hashing the bundle at every start cost ~6 ms with node:crypto's loading. A
// cache of another build, or one V8 rejects (another Node.js, other V8 flags), is not used, and the
// bundle is compiled as usual.
// CommonJS (bin/package.json), as bin/run.js is: see there.
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const BUNDLE_FILE = join(__dirname, '..', 'dist', 'bundle', 'store.cjs');
const CODE_CACHE_FILE = join(__dirname, '..', 'dist', 'bundle', 'store.code-cache');
const BUNDLE_ID_LINE = '// store bundle ';
const BUNDLE_ID_HEX_LENGTH = 64;

/**
 * The bundle's exports; whether it was compiled from the code cache; and `codeCache()`, the cache to
 * save for this very bundle. (`codeCacheFile` is for tests: a cache that must not be used.)
 */
function loadBundle({ codeCacheFile = CODE_CACHE_FILE } = {}) {
  // ASCII (build-tools/bundle.mjs escapes the rest): read as latin1, a copy, not decoded as UTF-8.
  const source = readFileSync(BUNDLE_FILE, 'latin1');
  const bundleId = bundleIdOf(source);
  const cachedData = bundleId === undefined ? undefined : cachedDataFor(codeCacheFile, bundleId);
  // Strict, as the ES module it is built from was.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __storeImport) {'use strict';${source}\n})`, {
    filename: BUNDLE_FILE,
    cachedData,
  });
  const bundleModule = new Module(BUNDLE_FILE);
  bundleModule.filename = BUNDLE_FILE;
  const bundleRequire = Module.createRequire(BUNDLE_FILE);
  // oclif loads the commands from the bundle (package.json's oclif.commands.target) with require():
  // it finds this instance instead of evaluating the file a second time.
  bundleRequire.cache[BUNDLE_FILE] = bundleModule;
  script.runInThisContext()(bundleModule.exports, bundleRequire, bundleModule, BUNDLE_FILE, dirname(BUNDLE_FILE), (specifier) => import(specifier));
  bundleModule.loaded = true;
  return {
    exports: bundleModule.exports,
    fromCodeCache: cachedData !== undefined && !script.cachedDataRejected,
    codeCache: () => {
      if (bundleId === undefined) throw new Error(`${BUNDLE_FILE} names no build on its first line: run build-tools/bundle.mjs`);
      return Buffer.concat([bundleId, script.createCachedData()]);
    },
  };
}

/** The build id on the bundle's first line, as bytes; undefined for a bundle without one. */
function bundleIdOf(source) {
  if (!source.startsWith(BUNDLE_ID_LINE)) return undefined;
  const hex = source.slice(BUNDLE_ID_LINE.length, BUNDLE_ID_LINE.length + BUNDLE_ID_HEX_LENGTH);
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

function cachedDataFor(codeCacheFile, bundleId) {
  let cache;
  try {
    cache = readFileSync(codeCacheFile);
  } catch {
    return undefined;
  }
  return cache.length > bundleId.length && cache.subarray(0, bundleId.length).equals(bundleId) ? cache.subarray(bundleId.length) : undefined;
}

module.exports = { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle };

// Bundles the CLI (dist/cli/main.js, the commands, the engine and @oclif/core) into one CommonJS
// file, dist/bundle/store.cjs: loading one file instead of ~250 is most of `store`'s start-up time.
// bin/load-bundle.js compiles it with V8's code cache (build-tools/code-cache.mjs), which only a
// script, not an ES module, can be given on Node 20: hence CommonJS.
// Native addons (the project's own in native/), the WebAssembly chunker and lazily loaded modules stay out of it.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const OUTFILE = 'dist/bundle/store.cjs';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Resolved from node_modules at run time: native code, files read beside the module, lazy imports,
  // and typescript (which @oclif/core only loads to run commands from .ts sources).
  external: ['better-sqlite3', 'zstd-napi', '@napi-rs/blake-hash', 'mmap-io', 'fastcdc-wasm', 'piscina', 'cli-progress', 'typescript', '@aws-sdk/client-s3'],
  // The modules find files beside them (the workers, the native addon) from import.meta.url.
  define: { 'import.meta.url': '__storeModuleUrl' },
  banner: { js: "const __storeModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Less to parse at every start; identifiers are kept so that stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// Code compiled from V8's code cache cannot call import() on Node 20 (no dynamic import callback is
// kept with it): @oclif/core imports ES-module plugins (plugin-autocomplete) that way. Each import()
// call becomes a call of `__storeImport`, which bin/load-bundle.js passes in: an import() of its own.
const bundled = readFileSync(OUTFILE, 'utf8');
let calls = 0;
const rewritten = bundled.replace(/(?<![\w$.'"`])import\(/g, () => {
  calls++;
  return '__storeImport(';
});
writeFileSync(OUTFILE, rewritten);
if (calls === 0) throw new Error(`${OUTFILE}: no import() found to rewrite; is the pattern out of date?`);

// Bundles the CLI (dist/cli/main.js, the commands, the engine and @oclif/core) into one ES module,
// dist/bundle/store.js: loading one file instead of ~250 is most of `store`'s start-up time.
// Native addons (the project's own in native/), the WebAssembly chunker and lazily loaded modules stay out of it.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/bundle/store.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Resolved from node_modules at run time: native code, files read beside the module, lazy imports,
  // and typescript (which @oclif/core only loads to run commands from .ts sources).
  external: ['better-sqlite3', 'zstd-napi', '@napi-rs/blake-hash', 'mmap-io', 'fastcdc-wasm', 'piscina', 'cli-progress', 'typescript', '@aws-sdk/client-s3'],
  // Bundled CommonJS code calls require() for Node's built-in modules.
  banner: { js: "import { createRequire as __storeCreateRequire } from 'node:module'; const require = __storeCreateRequire(import.meta.url);" },
  // Less to parse at every start; identifiers are kept so that stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// Bundles the CLI (dist/cli/main.js, the commands, the engine and @oclif/core) into one CommonJS
// file, dist/bundle/store.cjs: loading one file instead of ~250 is most of `store`'s start-up time.
// And the worker threads' tasks (dist/workers/tasks.js) into dist/workers/tasks.cjs: see WORKER_OUTFILE.
// bin/load-bundle.js compiles it with V8's code cache (build-tools/code-cache.mjs), which only a
// script, not an ES module, can be given on Node 20: hence CommonJS.
// Native addons (the project's own in native/), the WebAssembly chunker and lazily loaded modules stay out of it;
// better-sqlite3's JavaScript is in it (src/catalog/catalog.ts names its addon's path).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const OUTFILE = 'dist/bundle/store.cjs';

// Rewrites of @oclif/core's sources (and of two packages it loads), each for time it spends at every
// start; the build fails if a line it replaces is gone (a newer version), so that none is lost
// unnoticed. (Two files may not share a rewrite: one onLoad a file.)
const SOURCE_REWRITES = [
  {
    // It sorts each plugin's commands with localeCompare: the first call builds ICU's collator, ~9 ms.
    // The ids are ASCII (lowercase words, ':'), where code-point order is the same.
    file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id))',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))',
  },
  {
    // It finds the plugins package.json names among the dependencies with minimatch, a pattern
    // compiled for each dependency (~3 ms): a name without a glob character matches itself alone.
    file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin-loader\.js$/,
    from: 'patterns.some((w) => (0, minimatch_1.minimatch)(p, w))',
    to: 'patterns.some((w) => (/[*?[\\]{}()!+@\\\\]/.test(w.replace(/^@/, "")) ? (0, minimatch_1.minimatch)(p, w) : p === w))',
  },
  // Node's modules it loads at every start for work it does only at times: perf_hooks for its
  // performance markers (off unless asked for), readline to read stdin, fs/promises (which loads
  // readline and the streams, ~1 ms) for TypeScript sources. Each is loaded on first use.
  lazyBuiltin(/@oclif[\\/]core[\\/]lib[\\/]performance\.js$/, 'node_perf_hooks_1', 'node:perf_hooks'),
  lazyBuiltin(/@oclif[\\/]core[\\/]lib[\\/]parser[\\/]parse\.js$/, 'node_readline_1', 'node:readline'),
  lazyBuiltin(/@oclif[\\/]core[\\/]lib[\\/]config[\\/]ts-path\.js$/, 'promises_1', 'node:fs/promises'),
  lazyBuiltin(/@oclif[\\/]core[\\/]lib[\\/]util[\\/]read-tsconfig\.js$/, 'promises_1', 'node:fs/promises'),
  {
    // It reads its JSON files (package.json and the manifest of each plugin, a few KB) with fs/promises:
    // each a round trip through libuv's threads, which the first one starts, one after another: ~5 ms
    // of every start spent waiting. Read where they are asked for instead.
    ...lazyBuiltin(/@oclif[\\/]core[\\/]lib[\\/]util[\\/]fs\.js$/, 'promises_1', 'node:fs/promises'),
    also: { from: "const contents = await (0, promises_1.readFile)(path, 'utf8');", to: "const contents = (0, node_fs_1.readFileSync)(path, 'utf8');" },
  },
  {
    // lilconfig (oclif's search for a configuration beside a package.json without one) takes
    // fs.promises.readFile as it loads, and with it fs/promises: taken when it first reads.
    file: /[\\/]lilconfig[\\/]src[\\/]index\.js$/,
    from: 'const fsReadFileAsync = fs.promises.readFile;',
    to: 'const fsReadFileAsync = (...args) => fs.promises.readFile(...args);',
  },
  {
    // Its logger loads the debug package, which loads tty (and with it net and the streams) to make
    // loggers that print nothing unless DEBUG is set: debug reads DEBUG once, as it loads, and nothing
    // here enables a namespace later. Without DEBUG, each logger is a function that does nothing.
    file: /@oclif[\\/]core[\\/]lib[\\/]logger\.js$/,
    from: 'const debug_1 = __importDefault(require("debug"));',
    to: 'const debug_1 = { default: process.env.DEBUG ? require("debug") : () => () => {} };',
  },
  {
    // It asks whether stdout and stderr are terminals as it loads, with tty (which loads net and the
    // streams, ~2 ms with the debug package's): oclif asks only when it colors text. Asked then.
    file: /[\\/]supports-color[\\/]index\.js$/,
    from: "const tty = require('tty');",
    to: "const tty = { isatty: (fd) => require('tty').isatty(fd) };",
    also: {
      from: '\tstdout: getSupportLevel({isTTY: tty.isatty(1)}),\n\tstderr: getSupportLevel({isTTY: tty.isatty(2)})',
      to: '\tget stdout() { return getSupportLevel({isTTY: tty.isatty(1)}); },\n\tget stderr() { return getSupportLevel({isTTY: tty.isatty(2)}); }',
    },
  },
  {
    // It makes its spinner (or the plain action) as it loads, asking whether stderr is a terminal:
    // that makes the stream (on a pipe, net and the streams: ~2 ms). Made when first used instead.
    file: /@oclif[\\/]core[\\/]lib[\\/]ux[\\/]index\.js$/,
    from: `const ACTION_TYPE = (Boolean(process.stderr.isTTY) &&
    !process.env.CI &&
    !['dumb', 'emacs-color'].includes(process.env.TERM) &&
    'spinner') ||
    'simple';
exports.action = ACTION_TYPE === 'spinner' ? new spinner_1.default() : new simple_1.default();`,
    to: `let madeAction;
const action = () => (madeAction ??= Boolean(process.stderr.isTTY) && !process.env.CI && !['dumb', 'emacs-color'].includes(process.env.TERM) ? new spinner_1.default() : new simple_1.default());
Object.defineProperty(exports, "action", { enumerable: true, get: action });`,
    also: { from: 'exports.ux = {\n    action: exports.action,', to: 'exports.ux = {\n    get action() { return action(); },' },
  },
  {
    // It measures the terminal's width as it loads, for help and error text: reading process.stderr
    // makes that stream, and on a pipe (a script's, a benchmark's) that loads net and the streams,
    // ~2 ms of every start. Measured when first asked instead; a width is read each time it is asked.
    file: /@oclif[\\/]core[\\/]lib[\\/]screen\.js$/,
    from: 'exports.stdtermwidth = columns || termwidth(process.stdout);\nexports.errtermwidth = columns || termwidth(process.stderr);',
    to: 'Object.defineProperty(exports, "stdtermwidth", { get: () => columns || termwidth(process.stdout), enumerable: true });\nObject.defineProperty(exports, "errtermwidth", { get: () => columns || termwidth(process.stderr), enumerable: true });',
  },
  {
    // It finds a plugin's directory (package.json's oclif.plugins, installed beside the CLI) with
    // require.resolve, which for a package with "exports" loads Node's ES module resolver (~3 ms of
    // every start). Where the package lies in the root's own node_modules, as npm installs it, that is
    // where require.resolve would find it first; elsewhere it asks require.resolve as before.
    file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]find-root\.js$/,
    from: 'pkgPath = require.resolve(name, { paths: [root] });',
    to: 'const installed = (0, node_path_1.join)(root, "node_modules", name, "package.json");\n            pkgPath = require("node:fs").existsSync(installed) ? installed : require.resolve(name, { paths: [root] });',
  },
  {
    // It asks wsl-utils whether this is WSL, whose loading loads child_process (~3 ms with what it
    // needs) for work it never does here; is-wsl, which wsl-utils asks itself, answers alone. And
    // child_process itself, for the shell's name (autocomplete), is loaded on first use.
    file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/,
    from: `const node_child_process_1 = require("node:child_process");`,
    to: `const node_child_process_1 = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });`,
    also: { from: `return (await import('wsl-utils')).isWsl ? 'wsl'`, to: `return (await import('is-wsl')).default ? 'wsl'` },
  },
];

/** A rewrite of `const name = require("module");` into an object that loads the module when a property is first read. */
function lazyBuiltin(file, name, module) {
  return {
    file,
    from: `const ${name} = require("${module}");`,
    to: `const ${name} = new Proxy({}, { get: (_, key) => require("${module}")[key] });`,
  };
}

const sourceRewrites = {
  name: 'source-rewrites',
  setup(builder) {
    for (const { file, from, to, also } of SOURCE_REWRITES) {
      builder.onLoad({ filter: file }, ({ path }) => {
        let source = readFileSync(path, 'utf8');
        for (const rewrite of [{ from, to }, ...(also === undefined ? [] : [also])]) {
          if (!source.includes(rewrite.from)) throw new Error(`${path}: no \`${rewrite.from}\` to rewrite; is it out of date?`);
          source = source.replace(rewrite.from, rewrite.to);
        }
        return { contents: source, loader: 'js' };
      });
    }
  },
};

// What both bundles share. Each lies one directory below dist/, as the modules it is built from do.
const COMMON_JS_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Resolved from node_modules at run time: native code, files read beside the module, lazy imports,
  // and typescript (which @oclif/core only loads to run commands from .ts sources). piscina must be
  // the one instance its worker threads load, for its symbols (move, transferableSymbol) to match.
  external: ['zstd-napi', '@napi-rs/blake-hash', 'mmap-io', 'fastcdc-wasm', 'piscina', 'cli-progress', 'typescript', '@aws-sdk/client-s3'],
  // The modules find files beside them (the workers, the native addon) from import.meta.url.
  define: { 'import.meta.url': '__storeModuleUrl' },
  banner: { js: "const __storeModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Less to parse at every start; identifiers are kept so that stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// piscina loads a thread's tasks with require(). Given an ES module, Node 20.19 and later load it
// through require(esm), which aborts the whole process ("FATAL ERROR: v8::Module::IsGraphAsync must be
// used on an instantiated module") when the thread is terminated while its module graph is being
// instantiated, as closing a pool that is still starting does. A CommonJS file never takes that path,
// and is one file to load in each thread instead of ~20.
const WORKER_OUTFILE = 'dist/workers/tasks.cjs';
await build({ ...COMMON_JS_BUNDLE, entryPoints: ['dist/workers/tasks.js'], outfile: WORKER_OUTFILE });

await build({ ...COMMON_JS_BUNDLE, entryPoints: ['dist/cli/main.js'], outfile: OUTFILE, plugins: [sourceRewrites] });

// Code compiled from V8's code cache cannot call import() on Node 20 (no dynamic import callback is
// kept with it): @oclif/core imports ES-module plugins (plugin-autocomplete) that way. Each import()
// call becomes a call of `__storeImport`, which bin/load-bundle.js passes in: an import() of its own.
const bundled = readFileSync(OUTFILE, 'utf8');
let calls = 0;
const rewritten = bundled.replace(/(?<![\w$.'"`])import\(/g, () => {
  calls++;
  return '__storeImport(';
});
// ASCII only, so that bin/load-bundle.js reads it as latin1 (a copy) rather than decoding UTF-8 (~1.5 ms
// of every start): esbuild leaves a few characters as they are (in a regular expression of ansis);
// a \u escape means the same there, in strings and in comments.
const ascii = rewritten.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);

// The first line names this build: the bundle's code cache is only used with the bundle it was made
// from (bin/load-bundle.js reads the id instead of hashing the bundle at every start).
const bundleId = createHash('sha256').update(ascii).digest('hex');
writeFileSync(OUTFILE, `// store bundle ${bundleId}\n${ascii}`);
if (calls === 0) throw new Error(`${OUTFILE}: no import() found to rewrite; is the pattern out of date?`);

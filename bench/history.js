#!/usr/bin/env node
// A version history, the job store exists for (issue 19): successive releases of a real project,
// each made the work tree in turn and committed. The releases are an npm package's published
// versions (`npm pack`, unpacked once into a cache), so anyone can fetch the same bytes again.
// Between two versions the work tree is brought to the next one as a checkout would: only files
// whose bytes differ are written, files the next version lacks are deleted (not timed).
//
// Tools, one repository each, run in turn at every version (so a busy moment hits all of them):
//   store      `store add -A && store commit` (two processes); `store gc` once at the end (timed apart)
//   store-A    `store commit -A` (one process); `store gc` at the end
//   git        `git add -A && git commit`; `git gc` once at the end (timed apart)
//   restic     `restic backup`        borg   `borg create --compression zstd,3`
// Reported: total and median per-version ingest, repository size, and the restore of the first and
// the last version into an empty directory (store's and git's restores compared byte for byte).
//
//   node bench/history.js [--package rxjs] [--versions 20] [--tools store,store-A,git,restic,borg]
//                         [--before DIR] [--cache DIR] [--out bench/results/history-latest.md] [--keep DIR]
// (--keep DIR leaves the repositories there instead of deleting them, to look inside)
// (after `npm run build`; --before DIR adds "store-before": `commit -A` of the build in DIR, if it
// has one, else add + commit; tools not installed are left out)
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { BENCH_ENV, hasCommand } from './env.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const PACKAGE = args.package ?? 'rxjs';
const VERSIONS = Number(args.versions ?? 20);
const CACHE = resolve(args.cache ?? join(tmpdir(), 'store-bench-history'));
const OUT = resolve(args.out ?? join(ROOT, 'bench', 'results', 'history-latest.md'));
const env = BENCH_ENV;
const has = hasCommand;
const sh = (command, cwd) => execSync(command, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString();

/** The last `count` stable versions of the package, each unpacked (once) under the cache. */
function releaseTrees() {
  const all = JSON.parse(execFileSync('npm', ['view', PACKAGE, 'versions', '--json'], { env }).toString());
  const stable = all.filter((version) => /^\d+\.\d+\.\d+$/.test(version)).slice(-VERSIONS);
  const base = join(CACHE, PACKAGE.replace('/', '+'));
  mkdirSync(base, { recursive: true });
  return stable.map((version) => {
    const tree = join(base, version);
    if (!existsSync(join(tree, '.complete'))) {
      rmSync(tree, { recursive: true, force: true });
      const tarball = execFileSync('npm', ['pack', `${PACKAGE}@${version}`, '--silent', '--pack-destination', base], { env })
        .toString()
        .trim();
      mkdirSync(tree);
      execFileSync('tar', ['-xzf', join(base, tarball), '-C', tree, '--strip-components=1']);
      unlinkSync(join(base, tarball));
      writeFileSync(join(tree, '.complete'), '');
    }
    return { version, tree };
  });
}

/** Relative paths of the regular files under `dir`, skipping the names in `skip` at its top. */
function filesUnder(dir, skip = new Set()) {
  const out = [];
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (at === dir && skip.has(entry.name)) continue;
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

const REPO_NAMES = new Set(['.store', '.git', '.complete']);

/** Makes `work` hold exactly `tree`'s files, writing only those whose bytes differ. */
function syncWorkTree(tree, work) {
  const wanted = new Set(filesUnder(tree, REPO_NAMES));
  for (const path of filesUnder(work, REPO_NAMES)) if (!wanted.has(path)) unlinkSync(join(work, path));
  for (const path of wanted) {
    const bytes = readFileSync(join(tree, path));
    const target = join(work, path);
    let same = false;
    try {
      same = readFileSync(target).equals(bytes);
    } catch {}
    if (same) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  const pruneEmpty = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory() && !(at === work && REPO_NAMES.has(entry.name))) pruneEmpty(join(at, entry.name));
    }
    if (at !== work && readdirSync(at).length === 0) rmdirSync(at);
  };
  pruneEmpty(work);
}

function duBytes(path) {
  return Number(sh(`du -sb ${path}`).split('\t')[0]);
}

// As its users run it: the file executed (npm links it as `store`), not `node bin/run.js`.
const storeBin = (dir) => join(dir, 'bin', 'run.js');
const storeTool = (bin, oneProcess) => ({
  init: () => `${bin} init -q`,
  commit: (_work, message) => (oneProcess ? `${bin} commit -A -q -m ${message}` : `${bin} add -A -q && ${bin} commit -q -m ${message}`),
  finish: () => `${bin} gc -q`, // as git's: joins the small packs (one or two a commit)
  repoBytes: (work) => duBytes(join(work, '.store')),
  // Where the repository's bytes are (`du -sb` of each part; the catalog with its WAL, if any).
  repoParts: (work) => {
    const at = (name) => (existsSync(join(work, '.store', name)) ? duBytes(join(work, '.store', name)) : 0);
    return {
      packs: at('packs'),
      catalog: at('catalog.sqlite') + at('catalog.sqlite-wal'),
      staging: at('staging'),
      'tree and directory caches': at('tree-cache') + at('directory-cache'),
    };
  },
  restore: (_work, index, count, out) => `${bin} checkout -q -o ${out} HEAD~${count - 1 - index}`,
  comparable: true,
});
const TOOLS = {
  store: { available: () => true, ...storeTool(storeBin(ROOT), false) },
  'store-A': { available: () => true, ...storeTool(storeBin(ROOT), true) },
  'store-before': {
    available: () => args.before !== undefined,
    ...(args.before === undefined ? {} : storeTool(storeBin(resolve(args.before)), sh(`${storeBin(resolve(args.before))} commit --help`).includes('--all'))),
  },
  git: {
    available: () => has('git'),
    init: () => 'git init -q',
    commit: (_work, message) => `git add -A && git commit -q -m ${message}`,
    finish: () => 'git gc -q',
    repoBytes: (work) => duBytes(join(work, '.git')),
    repoParts: (work) => {
      const pack = duBytes(join(work, '.git', 'objects', 'pack'));
      const index = duBytes(join(work, '.git', 'index'));
      return { 'objects/pack (packs and their indexes)': pack, index, 'the rest (hooks, logs, refs)': duBytes(join(work, '.git')) - pack - index };
    },
    restore: (_work, index, count, out) => `mkdir -p ${out} && git --work-tree=${out} checkout -f HEAD~${count - 1 - index} -- .`,
    comparable: true,
  },
  restic: {
    available: () => has('restic'),
    init: (work) => `restic init -q -r ${work}.restic`,
    commit: (work) => `restic -q -r ${work}.restic backup --host bench .`,
    repoBytes: (work) => duBytes(`${work}.restic`),
    // Snapshots in time order; restic restores under the path it backed up.
    restore: (work, index, _count, out) =>
      `restic -q -r ${work}.restic restore $(restic -q -r ${work}.restic snapshots --json | node -e "console.log(JSON.parse(require('fs').readFileSync(0))[${index}].short_id)") --target ${out}`,
  },
  borg: {
    available: () => has('borg'),
    init: (work) => `borg init -e none ${work}.borg`,
    commit: (work, message) => `borg create --compression zstd,3 ${work}.borg::${message} .`,
    repoBytes: (work) => duBytes(`${work}.borg`),
    restore: (work, index, _count, out) => `mkdir -p ${out} && cd ${out} && borg extract ${work}.borg::v${index}`,
  },
};

function timed(command, cwd) {
  const start = process.hrtime.bigint();
  sh(command, cwd);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function sameTree(expected, actual) {
  const files = filesUnder(expected, REPO_NAMES);
  if (filesUnder(actual).length !== files.length) return false;
  return files.every((path) => readFileSync(join(expected, path)).equals(readFileSync(join(actual, path))));
}

const wanted = (args.tools ?? 'store,store-A,git,restic,borg').split(',');
const tools = wanted.filter((name) => TOOLS[name]?.available());
const releases = releaseTrees();
const base = mkdtempSync(join(tmpdir(), 'store-history-'));
const results = {};
for (const name of tools) {
  const work = join(base, name);
  mkdirSync(work);
  sh(TOOLS[name].init(work), work);
  results[name] = { perVersion: [] };
}
for (const [index, release] of releases.entries()) {
  for (const name of tools) {
    const work = join(base, name);
    syncWorkTree(release.tree, work);
    results[name].perVersion.push(timed(TOOLS[name].commit(work, `v${index}`), work));
  }
  process.stderr.write(`${release.version}: ${tools.map((name) => `${name} ${results[name].perVersion.at(-1).toFixed(2)} s`).join(', ')}\n`);
}
for (const name of tools) {
  const work = join(base, name);
  const tool = TOOLS[name];
  if (tool.finish) {
    results[name].repoBytesBeforeFinish = tool.repoBytes(work);
    results[name].finishSeconds = timed(tool.finish(work), work);
  }
  results[name].repoBytes = tool.repoBytes(work);
  if (tool.repoParts) results[name].repoParts = tool.repoParts(work);
  for (const [label, index] of [
    ['restoreFirst', 0],
    ['restoreLast', releases.length - 1],
  ]) {
    const out = join(base, `${name}-${label}`);
    results[name][label] = timed(tool.restore(work, index, releases.length, out), work);
    if (tool.comparable && !sameTree(releases[index].tree, out)) throw new Error(`${name}: the restored ${releases[index].version} differs from the release`);
    rmSync(out, { recursive: true, force: true });
  }
}

const sizes = releases.map((release) => filesUnder(release.tree, REPO_NAMES).reduce((sum, path) => sum + statSync(join(release.tree, path)).size, 0));
const mib = (bytes, digits = 1) => (bytes / 2 ** 20).toFixed(digits);
const versionsOf = (name) => sh(`${name === 'restic' ? 'restic version' : `${name} --version`} 2>&1 | head -1`).trim();
const lines = [
  `# node bench/history.js --package ${PACKAGE} --versions ${releases.length}`,
  '',
  `${new Date().toISOString().slice(0, 10)}, commit ${sh('git rev-parse --short HEAD', ROOT).trim()}; Node ${process.version}.`,
  `Releases ${releases[0].version} to ${releases.at(-1).version} of npm's \`${PACKAGE}\`: ${filesUnder(releases.at(-1).tree, REPO_NAMES).length} files and ${mib(sizes.at(-1))} MiB in the last, ${mib(sizes.reduce((a, b) => a + b, 0))} MiB in all.`,
  ...(tools.includes('store-before')
    ? [`store-before: the build in ${args.before}, at commit ${sh('git rev-parse --short HEAD', resolve(args.before)).trim()}.`]
    : []),
  '',
  '| tool | total ingest s | median per version s | first version s | repository MiB | restore first s | restore last s |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const name of tools) {
  const result = results[name];
  const total = result.perVersion.reduce((a, b) => a + b, 0);
  const repo =
    result.finishSeconds === undefined
      ? mib(result.repoBytes, 2)
      : `${mib(result.repoBytes, 2)} after gc (${result.finishSeconds.toFixed(2)} s; ${mib(result.repoBytesBeforeFinish)} before)`;
  lines.push(
    `| ${name} | ${total.toFixed(2)} | ${median(result.perVersion.slice(1)).toFixed(3)} | ${result.perVersion[0].toFixed(2)} | ${repo} | ${result.restoreFirst.toFixed(2)} | ${result.restoreLast.toFixed(2)} |`,
  );
}
lines.push('', 'Median per version leaves out the first (the initial import).');
for (const name of tools.filter((tool) => results[tool].repoParts)) {
  const parts = Object.entries(results[name].repoParts).map(([part, bytes]) => `${part} ${(bytes / 1024).toFixed(0)} KiB`);
  lines.push('', `${name}'s repository: ${results[name].repoBytes.toLocaleString('en-US')} bytes (\`du -sb\`); ${parts.join(', ')}.`);
}
const otherTools = ['git', 'restic', 'borg'].filter((name) => tools.includes(name));
if (otherTools.length > 0)
  lines.push(
    '',
    `Versions: ${['git', 'restic', 'borg']
      .filter((name) => tools.includes(name))
      .map(versionsOf)
      .join('; ')}.`,
    '',
  );
writeFileSync(OUT, `${lines.join('\n')}\n`);
writeFileSync(OUT.replace(/\.md$/, '.json'), `${JSON.stringify({ package: PACKAGE, versions: releases.map((r) => r.version), sizes, results }, null, 1)}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
if (args.keep) renameSync(base, resolve(args.keep));
else rmSync(base, { recursive: true, force: true });

#!/usr/bin/env node
// The fixed cost of a store command, against the 1% workload's budget (issue 3: add + commit of a
// 1% change in 12,000 files in <= 0.5 s and faster than `git add -A && git commit`). In a repository
// of one small file, one line appended each time, it times (wall, alternating, medians of --runs N,
// default 10): `node -e 0`; `store --version`; a clean `store status`; store's add + commit of that
// change; git's add + commit of the same change in a git repository of the same file; and node's own
// start with and without NODE_EXTRA_CA_CERTS, on an empty CommonJS file and ES module. What store's
// pair costs with nearly nothing to do is the least its 1% add + commit can cost. With --before DIR,
// the build in DIR ("store-before", its own repository) is timed the same way in the same run.
//
//   node bench/floor.js [--runs N] [--before DIR]   (after `npm run build`; git is left out when not installed)
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { BENCH_ENV } from './env.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 10);
const env = BENCH_ENV;
const hasGit = spawnSync('git', ['--version']).status === 0;

const base = mkdtempSync(join(tmpdir(), 'store-floor-'));
const run = (cwd, command, args) => execFileSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
const newWork = (name) => {
  const work = join(base, name);
  mkdirSync(work);
  writeFileSync(join(work, 'file.txt'), 'first line\n');
  return work;
};

/** Wall seconds of `steps` (each [cwd, command, args]), run one after the other. */
function timed(steps) {
  const start = process.hrtime.bigint();
  for (const [cwd, command, args] of steps) run(cwd, command, args);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

let change = 0;
const appendLine = (work) => appendFileSync(join(work, 'file.txt'), `line ${++change}\n`);

/** The rows of one store build (bin/run.js under `dir`), in a repository of its own. */
function storeMeasures(label, dir) {
  // As its users run it: the file executed (npm links it as `store`), not `node bin/run.js`.
  const bin = join(dir, 'bin', 'run.js');
  const work = newWork(label);
  run(work, bin, ['init', '-q']);
  run(work, bin, ['add', '-A', '-q']);
  run(work, bin, ['commit', '-q', '-m', 'first']);
  return {
    [`${label} --version`]: () => timed([[work, bin, ['--version']]]),
    [`${label} status (clean)`]: () => timed([[work, bin, ['status']]]),
    [`${label} add -A + commit (one changed file)`]: () => {
      appendLine(work);
      return timed([
        [work, bin, ['add', '-A', '-q']],
        [work, bin, ['commit', '-q', '-m', `c${change}`]],
      ]);
    },
  };
}

// What bin/run.js avoids (see there): Node 20 parsing NODE_EXTRA_CA_CERTS at start, and the ESM
// loader an ES module entry point brings. Through `env -u`, which costs the unset rows an exec more.
writeFileSync(join(base, 'empty.cjs'), '');
writeFileSync(join(base, 'empty.mjs'), '');
const withoutCaCerts = (args) => ['-u', 'NODE_EXTRA_CA_CERTS', 'node', ...args];
const measures = {
  'node -e 0': () => timed([[base, 'node', ['-e', '0']]]),
  ...(process.env.NODE_EXTRA_CA_CERTS !== undefined && {
    'node -e 0, NODE_EXTRA_CA_CERTS unset': () => timed([[base, 'env', withoutCaCerts(['-e', '0'])]]),
  }),
  'node on an empty CommonJS file (NODE_EXTRA_CA_CERTS unset)': () => timed([[base, 'env', withoutCaCerts([join(base, 'empty.cjs')])]]),
  'node on an empty ES module (NODE_EXTRA_CA_CERTS unset)': () => timed([[base, 'env', withoutCaCerts([join(base, 'empty.mjs')])]]),
  ...storeMeasures('store', ROOT),
  ...(args.before !== undefined && storeMeasures('store-before', resolve(args.before))),
};
if (hasGit) {
  const gitWork = newWork('git');
  run(gitWork, 'git', ['init', '-q']);
  run(gitWork, 'git', ['add', '-A']);
  run(gitWork, 'git', ['commit', '-q', '-m', 'first']);
  measures['git add -A + commit (one changed file)'] = () => {
    appendLine(gitWork);
    return timed([
      [gitWork, 'git', ['add', '-A']],
      [gitWork, 'git', ['commit', '-q', '-m', `c${change}`]],
    ]);
  };
}

const samples = Object.fromEntries(Object.keys(measures).map((name) => [name, []]));
try {
  for (let i = 0; i < RUNS; i++) for (const [name, measure] of Object.entries(measures)) samples[name].push(measure());
} finally {
  rmSync(base, { recursive: true, force: true });
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const revision = (dir) => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir }).toString().trim();
console.log(
  `Node ${process.version}; medians of ${RUNS} runs, alternating; store at ${revision(ROOT)}${args.before === undefined ? '' : `, store-before at ${revision(resolve(args.before))}`}.\n`,
);
console.log('| what | median wall s | range |');
console.log('| --- | --- | --- |');
for (const [name, values] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(values).toFixed(3)} | ${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)} |`);
}

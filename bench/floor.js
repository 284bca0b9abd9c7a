#!/usr/bin/env node
// The fixed cost of a store command, against the 1% workload's budget (issue 3: add + commit of a
// 1% change in 12,000 files in <= 0.5 s and faster than `git add -A && git commit`). In a repository
// of one small file, one line appended each time, it times (wall, alternating, medians of --runs N,
// default 10): `node -e 0`; `store --version`; store's add + commit of that change; git's add + commit
// of the same change in a git repository of the same file. What store's pair costs with nearly nothing
// to do is the least its 1% add + commit can cost.
//
//   node bench/floor.js [--runs N]      (after `npm run build`; git is left out when not installed)
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ENV } from './env.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STORE = join(ROOT, 'bin', 'run.js');
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv[runsAt + 1]) : 10;
const env = BENCH_ENV;
const hasGit = spawnSync('git', ['--version']).status === 0;

const base = mkdtempSync(join(tmpdir(), 'store-floor-'));
const storeWork = join(base, 'store');
const gitWork = join(base, 'git');
for (const work of [storeWork, gitWork]) {
  mkdirSync(work);
  writeFileSync(join(work, 'file.txt'), 'first line\n');
}
const run = (cwd, command, args) => execFileSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
run(storeWork, 'node', [STORE, 'init', '-q']);
run(storeWork, 'node', [STORE, 'add', '-A', '-q']);
run(storeWork, 'node', [STORE, 'commit', '-q', '-m', 'first']);
if (hasGit) {
  run(gitWork, 'git', ['init', '-q']);
  run(gitWork, 'git', ['add', '-A']);
  run(gitWork, 'git', ['commit', '-q', '-m', 'first']);
}

/** Wall seconds of `steps` (each [cwd, command, args]), run one after the other. */
function timed(steps) {
  const start = process.hrtime.bigint();
  for (const [cwd, command, args] of steps) run(cwd, command, args);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

let change = 0;
const appendLine = (work) => appendFileSync(join(work, 'file.txt'), `line ${++change}\n`);
const measures = {
  'node -e 0': () => timed([[storeWork, 'node', ['-e', '0']]]),
  'store --version': () => timed([[storeWork, 'node', [STORE, '--version']]]),
  'store add -A + commit (one changed file)': () => {
    appendLine(storeWork);
    return timed([
      [storeWork, 'node', [STORE, 'add', '-A', '-q']],
      [storeWork, 'node', [STORE, 'commit', '-q', '-m', `c${change}`]],
    ]);
  },
  ...(hasGit && {
    'git add -A + commit (one changed file)': () => {
      appendLine(gitWork);
      return timed([
        [gitWork, 'git', ['add', '-A']],
        [gitWork, 'git', ['commit', '-q', '-m', `c${change}`]],
      ]);
    },
  }),
};

const samples = Object.fromEntries(Object.keys(measures).map((name) => [name, []]));
try {
  for (let i = 0; i < RUNS; i++) for (const [name, measure] of Object.entries(measures)) samples[name].push(measure());
} finally {
  rmSync(base, { recursive: true, force: true });
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`Node ${process.version}; medians of ${RUNS} runs, alternating.\n`);
console.log('| what | median wall s | range |');
console.log('| --- | --- | --- |');
for (const [name, values] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(values).toFixed(3)} | ${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)} |`);
}

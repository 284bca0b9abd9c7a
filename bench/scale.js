#!/usr/bin/env node
// Many small files: store against git in one run, on deterministic trees of N files.
//
//   node bench/scale.js [--files 100000,500000] [--tools store,git] [--before DIR] [--steps status,change,commands,checkout] [--status-rounds 9] [--change-rounds 0]
//
// Each tree is generated afresh for each tool (same seed, same bytes): N files of 100 to 1,500 bytes
// of pseudo-random text, 1,000 to a directory (d0000/f0000000.txt ...), about 800 MB per million
// files. For each tool, timed one after another with peak RSS (GNU time's %M, the largest process):
// first `add -A`, then `commit`; `status` with nothing changed (twice: the first may refresh stat
// data); `add -A` then `commit` after every 100th file had a line appended; the other commands on
// the two commits (diff of the work tree, diff of the two commits, switch to a branch at the first
// commit and back, log, stats / count-objects, verify / fsck, gc); and a checkout of the whole tree
// into an empty directory (store: `checkout -o`; git: `git --work-tree=OUT checkout -f HEAD -- .`). --before DIR adds another build of store as "store-before".
// Then, on one tree (the first tool's, with the other tools' repositories made in it too: see
// sharedStatusTree), `status` once more for each (a warm-up), and
// --status-rounds rounds (9 by default; 0: none) of one clean `status` of each tool after another,
// and of the floor under them (bench/stat-floor.c: the lstat of every name, nothing else): the median
// and the fastest of each one's rounds by the wall clock, and the median CPU time.
// Alternated so, the tools see the same machine: one status each, minutes apart, moved 10-20%
// between runs on the VMs measured, more than the tools differ. Then --change-rounds rounds (0 by
// default) of a new 1% change on that tree, added and committed by store and by git in turn
// (alternatedChange). Results go to bench/results/scale-latest.md (and .json).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { BENCH_ENV } from './env.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const SIZES = String(args.files ?? '100000')
  .split(',')
  .map(Number);
const FILES_PER_DIRECTORY = 1000;
const WORK = resolve(process.env.STORE_SCALE_WORK ?? join(ROOT, 'bench', '.work', 'scale'));
const ENV = BENCH_ENV;
const STEPS = new Set(String(args.steps ?? 'status,change,commands,checkout').split(','));
const STATUS_ROUNDS = Number(args['status-rounds'] ?? 9);
const CHANGE_ROUNDS = Number(args['change-rounds'] ?? 0);

// As its users run it: the file executed (npm links it as `store`), not `node bin/run.js`.
function storeTool(bin) {
  return {
    init: `${bin} init -q .`,
    add: `${bin} add -A -q`,
    commit: `${bin} commit -q -m snapshot`,
    status: `${bin} status > /dev/null`,
    checkout: (out) => `${bin} checkout -o ${out} HEAD > /dev/null`,
    branch: `${bin} branch first HEAD~1`,
    commands: {
      'diff of the work tree': `${bin} diff --name-status > /dev/null`,
      'diff of the two commits': `${bin} diff --name-status HEAD~1 HEAD > /dev/null`,
      'switch to the first commit': `${bin} switch first > /dev/null`,
      'switch back': `${bin} switch main > /dev/null`,
      log: `${bin} log > /dev/null`,
      'stats / count-objects': `${bin} stats > /dev/null`,
      'verify / fsck': `${bin} verify > /dev/null`,
      gc: `${bin} gc > /dev/null`,
    },
  };
}

const TOOLS = {
  store: storeTool(join(ROOT, 'bin', 'run.js')),
  ...(typeof args.before === 'string' ? { 'store-before': storeTool(join(resolve(args.before), 'bin', 'run.js')) } : {}),
  git: {
    init: 'git init -q -b main . && git config core.untrackedCache true && git config gc.auto 0',
    add: 'git add -A',
    commit: 'git commit -q -m snapshot',
    status: 'git status > /dev/null',
    checkout: (out) => `mkdir -p ${out} && git --work-tree=${out} checkout -f HEAD -- .`,
    branch: 'git branch first HEAD~1',
    commands: {
      'diff of the work tree': 'git diff --name-status > /dev/null',
      'diff of the two commits': 'git diff --name-status HEAD~1 HEAD > /dev/null',
      'switch to the first commit': 'git switch -q first',
      'switch back': 'git switch -q main',
      log: 'git log > /dev/null',
      'stats / count-objects': 'git count-objects -v > /dev/null',
      'verify / fsck': 'git fsck --no-progress 2> /dev/null',
      gc: 'git gc -q',
    },
  },
};
const wanted = typeof args.tools === 'string' ? args.tools.split(',') : Object.keys(TOOLS);

/** A small deterministic PRNG (xorshift32): the same tree on every machine and every run. */
function generator(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega'.split(' ');

/** Writes the N files of the tree under `directory`. */
function generateTree(directory, count) {
  rmSync(directory, { recursive: true, force: true });
  const next = generator(count);
  for (let index = 0; index < count; index++) {
    const subdirectory = join(directory, `d${String(Math.floor(index / FILES_PER_DIRECTORY)).padStart(4, '0')}`);
    if (index % FILES_PER_DIRECTORY === 0) mkdirSync(subdirectory, { recursive: true });
    const length = 100 + (next() % 1400);
    let text = `file ${index}\n`;
    while (text.length < length) text += `${WORDS[next() % WORDS.length]}${next() % 7 === 0 ? '\n' : ' '}`;
    writeFileSync(join(subdirectory, `f${String(index).padStart(7, '0')}.txt`), text.slice(0, length));
  }
}

/** Every 100th file from `offset` on gets a line appended (1% of the files, spread over every directory). */
function changeOnePercent(directory, count, offset = 0) {
  for (let index = offset; index < count; index += 100) {
    const subdirectory = `d${String(Math.floor(index / FILES_PER_DIRECTORY)).padStart(4, '0')}`;
    appendFileSync(join(directory, subdirectory, `f${String(index).padStart(7, '0')}.txt`), 'changed\n');
  }
}

function measure(script, cwd) {
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', script], { cwd, env: ENV, encoding: 'utf8', maxBuffer: 1 << 26 });
  const [wall, maxKb] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  if (result.status !== 0) throw new Error(`failed (${result.status}): ${script}\n${result.stderr}`);
  return { wallS: wall, rssMB: Math.round(maxKb / 1024) };
}

// Deleting hundreds of thousands of files (ext4 mounted with `discard` trims as it goes) slows every
// later step for minutes, and by different amounts run to run: measured, a checkout that takes 30 s
// into a fresh directory took 49-83 s after one. So every tree and output is deleted once, at the end.
const leftForTheEnd = [];

function runTool(name, tool, count) {
  const tree = join(WORK, `${name}-${count}`);
  const out = join(WORK, `${name}-${count}-out`);
  rmSync(out, { recursive: true, force: true });
  console.error(`${count} files, ${name}: generating`);
  generateTree(tree, count);
  execFileSync('sh', ['-c', tool.init], { cwd: tree, env: ENV });
  const result = {};
  const step = (label, script, cwd = tree) => {
    console.error(`${count} files, ${name}: ${label}`);
    result[label] = measure(script, cwd);
  };
  step('first add', tool.add);
  step('first commit', tool.commit);
  if (STEPS.has('status')) {
    step('status, clean (first)', tool.status);
    step('status, clean (again)', tool.status);
  }
  if (STEPS.has('change')) {
    changeOnePercent(tree, count);
    step('1% changed: add', tool.add);
    step('1% changed: commit', tool.commit);
  }
  if (STEPS.has('change') && STEPS.has('commands')) {
    execFileSync('sh', ['-c', tool.branch], { cwd: tree, env: ENV });
    for (const [label, script] of Object.entries(tool.commands)) step(label, script);
  }
  if (STEPS.has('checkout')) {
    step('checkout of the whole tree into an empty directory', tool.checkout(out));
  }
  leftForTheEnd.push(tree, out);
  return result;
}

/**
 * The program of bench/stat-floor.c, built in a temporary directory: the floor under a clean status
 * (the lstat of every name, on as many threads as there are cores, nothing else). Undefined, with a
 * word on stderr, where no C compiler builds it.
 */
function statFloorProgram() {
  const program = join(mkdtempSync(join(tmpdir(), 'stat-floor-')), 'stat-floor');
  leftForTheEnd.push(dirname(program));
  const built = spawnSync('cc', ['-O2', '-pthread', '-o', program, join(ROOT, 'bench', 'stat-floor.c')], { encoding: 'utf8' });
  if (built.status === 0) return program;
  console.error(`scale: bench/stat-floor.c not built (${built.error?.message ?? built.stderr.trim()}); the floor is left out`);
  return undefined;
}

/**
 * The tree the alternated status rounds run every tool on: a store tool's (the tools run in TOOLS'
 * order, store's first), where git's repository is made too, each tool told to leave the other's
 * directory and ignore file alone; store-before shares store's repository (it must read its format).
 * The issue asks for the status "against git on the same tree": trees generated minutes apart hold
 * the same bytes but not the same inodes, nor equally warm in the kernel's caches (on the VM of
 * session 47 the page cache went from 7.9 to 4.9 GB in minutes with nothing running but the kernel's
 * DAMON reclaim), and a status is mostly the lstat of every name.
 */
function sharedStatusTree(tools, count) {
  const store = tools.find((name) => name !== 'git');
  if (store === undefined) return join(WORK, `git-${count}`);
  const tree = join(WORK, `${store}-${count}`);
  if (!tools.includes('git')) return tree;
  const run = (script) => execFileSync('sh', ['-c', script], { cwd: tree, env: ENV, stdio: ['ignore', 'ignore', 'inherit'] });
  console.error(`${count} files: one tree for the alternated status, ${store}'s, with git's repository made in it`);
  writeFileSync(join(tree, '.storeignore'), '.git/\n');
  run(`${TOOLS[store].add} && ${TOOLS[store].commit}`);
  run(`${TOOLS.git.init} && printf '.store/\\n.storeignore\\n' >> .git/info/exclude && ${TOOLS.git.add} && ${TOOLS.git.commit}`);
  return tree;
}

/**
 * Clean `status` of each tool's tree, alternated (`runs`: label -> { script, cwd, timesOf? }, where
 * timesOf reads the times from what the run printed): a warm-up each,
 * then `rounds` of one each. Per label, the median and the fastest wall time in seconds (the wall
 * clock, to the microsecond) and the median CPU time (user + system, GNU time's 10 ms steps).
 */
function alternatedStatus(runs, rounds, count) {
  const once = (label) => {
    const { script, cwd, timesOf } = runs[label];
    const started = process.hrtime.bigint();
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', script], { cwd, env: ENV, encoding: 'utf8' });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`${label} failed (${result.status}): ${result.stderr}`);
    if (timesOf !== undefined) return timesOf(result.stdout);
    const [user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return { wallS, cpuS: user + system };
  };
  const measured = Object.fromEntries(Object.keys(runs).map((label) => [label, []]));
  for (const label of Object.keys(runs)) once(label);
  for (let round = 0; round < rounds; round++) {
    console.error(`${count} files: status, alternated, round ${round + 1} of ${rounds}`);
    for (const label of Object.keys(runs)) measured[label].push(once(label));
  }
  const seconds = (value) => Math.round(value * 1000) / 1000;
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  return Object.fromEntries(
    Object.entries(measured).map(([label, list]) => {
      const walls = list.map((one) => one.wallS);
      return [
        label,
        {
          medianS: seconds(median(walls)),
          fastestS: seconds(Math.min(...walls)),
          cpuMedianS: seconds(median(list.map((one) => one.cpuS))),
          roundsS: walls.map(seconds),
        },
      ];
    }),
  );
}

/**
 * `add -A` then `commit` of a 1% change, alternated on the shared tree (sharedStatusTree): each round
 * appends a line to another 1% of its files (every 100th from the round's own offset), then store and
 * git each add and commit that same change in their own repository, taking turns at going first (the
 * second finds the changed files where the first left them in the page cache). store-before shares
 * store's repository there, so it is not in these rounds. Per tool, the medians in seconds and each
 * round's add + commit.
 */
function alternatedChange(tree, tools, rounds, count) {
  const timed = [tools.find((name) => name !== 'git'), 'git'];
  const measured = Object.fromEntries(timed.map((name) => [name, { add: [], commit: [] }]));
  for (let round = 0; round < rounds; round++) {
    console.error(`${count} files: 1% changed, add and commit, alternated, round ${round + 1} of ${rounds}`);
    changeOnePercent(tree, count, round + 1);
    for (const name of round % 2 === 0 ? timed : [...timed].reverse()) {
      measured[name].add.push(measure(TOOLS[name].add, tree).wallS);
      measured[name].commit.push(measure(TOOLS[name].commit, tree).wallS);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const seconds = (value) => Math.round(value * 100) / 100;
  return Object.fromEntries(
    Object.entries(measured).map(([name, { add, commit }]) => {
      const both = add.map((value, round) => value + commit[round]);
      return [name, { addS: seconds(median(add)), commitS: seconds(median(commit)), bothS: seconds(median(both)), roundsS: both.map(seconds) }];
    }),
  );
}

function main() {
  mkdirSync(WORK, { recursive: true });
  const results = {};
  const alternated = {};
  const changes = {};
  for (const count of SIZES) {
    results[count] = {};
    const tools = Object.keys(TOOLS).filter((tool) => wanted.includes(tool));
    for (const name of tools) results[count][name] = runTool(name, TOOLS[name], count);
    if (STEPS.has('status') && STATUS_ROUNDS > 0) {
      const tree = sharedStatusTree(tools, count);
      const runs = Object.fromEntries(tools.map((name) => [name, { script: TOOLS[name].status, cwd: tree }]));
      const floor = statFloorProgram();
      // It reads the tree first, untimed, and prints the times of its stat calls alone (ms).
      const timesOf = (stdout) => {
        const [wallMs, cpuMs] = stdout.trim().split(' ').map(Number);
        return { wallS: wallMs / 1000, cpuS: cpuMs / 1000 };
      };
      if (floor !== undefined) runs['floor (lstat only)'] = { script: `${floor} . ${availableParallelism()}`, cwd: tree, timesOf };
      alternated[count] = alternatedStatus(runs, STATUS_ROUNDS, count);
      if (CHANGE_ROUNDS > 0 && tools.includes('git') && tools.some((name) => name !== 'git'))
        changes[count] = alternatedChange(tree, tools, CHANGE_ROUNDS, count);
    }
  }
  const lines = [
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}.`,
    '',
  ];
  for (const count of SIZES) {
    const tools = Object.keys(results[count]);
    lines.push(`### ${count.toLocaleString('en')} files`, '', `| step | ${tools.map((tool) => `${tool} s | ${tool} MB`).join(' | ')} |`);
    lines.push(`| --- | ${tools.map(() => '--- | ---').join(' | ')} |`);
    for (const label of Object.keys(results[count][tools[0]])) {
      lines.push(
        `| ${label} | ${tools.map((tool) => `${results[count][tool][label]?.wallS ?? '-'} | ${results[count][tool][label]?.rssMB ?? '-'}`).join(' | ')} |`,
      );
    }
    lines.push('');
    if (alternated[count] !== undefined) {
      lines.push(
        `Clean \`status\`, ${STATUS_ROUNDS} rounds of one run of each after another (after a warm-up run each), every tool on one tree (see sharedStatusTree). "floor": bench/stat-floor.c, the lstat of every name on ${availableParallelism()} threads and nothing else.`,
        '',
      );
      lines.push(`| | median s | fastest s | median CPU s | each round, s |`, `| --- | --- | --- | --- | --- |`);
      for (const [label, timing] of Object.entries(alternated[count]))
        lines.push(`| ${label} | ${timing.medianS} | ${timing.fastestS} | ${timing.cpuMedianS} | ${timing.roundsS.join(' ')} |`);
      lines.push('');
    }
    if (changes[count] !== undefined) {
      lines.push(
        `\`add -A\` then \`commit\` of a 1% change, ${CHANGE_ROUNDS} rounds on the same tree: each round changes another 1% of the files, and each tool adds and commits it, taking turns at going first (see alternatedChange).`,
        '',
        '| | median add s | median commit s | median add + commit s | each round, add + commit s |',
        '| --- | --- | --- | --- | --- |',
      );
      for (const [name, timing] of Object.entries(changes[count]))
        lines.push(`| ${name} | ${timing.addS} | ${timing.commitS} | ${timing.bothS} | ${timing.roundsS.join(' ')} |`);
      lines.push('');
    }
  }
  const table = lines.join('\n');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'scale-latest.md'), `${table}\n`);
  writeFileSync(
    join(ROOT, 'bench', 'results', 'scale-latest.json'),
    JSON.stringify({ steps: results, alternatedStatus: alternated, alternatedChange: changes }, null, 2),
  );
  console.log(table);
  // Last: deleting millions of files takes minutes, and the results are already written.
  for (const path of leftForTheEnd) rmSync(path, { recursive: true, force: true });
}

main();

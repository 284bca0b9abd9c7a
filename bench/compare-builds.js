// Times two builds of store side by side on the same tree, alternating in one run, so that a change
// can be checked for slowdowns and memory with the machine's drift shared by both.
//
//   node bench/compare-builds.js --before DIR --after DIR [--runs N] [--tree DIR]
//
// DIR is a checkout with `npm run build` done (its bin/run.js is run). The tree defaults to a copy of
// /usr/include and /usr/share/doc (about 12,000 files, built once under bench/.data/compare-tree).
// Workloads, each in a fresh repository per run: first add + commit; clean status; add + commit after
// every 100th file had a line appended; checkout -o of the whole tree. Reports medians of wall time
// and of peak RSS (GNU time's %M of the command).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from './args.js';

const args = parseArgs(process.argv.slice(2));
if (!args.before || !args.after) {
  console.error('usage: node bench/compare-builds.js --before DIR --after DIR [--runs N] [--tree DIR]');
  process.exit(2);
}
const runs = Number(args.runs ?? 3);
const here = resolve(import.meta.dirname);
const work = join(here, '.work', 'compare-builds');
const tree = args.tree ? resolve(args.tree) : join(here, '.data', 'compare-tree');
if (!args.tree && !existsSync(join(tree, '.complete'))) {
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  execFileSync('sh', ['-c', `cp -a /usr/include ${tree}/include && cp -a /usr/share/doc ${tree}/doc && find ${tree} -type l -delete`]);
  writeFileSync(join(tree, '.complete'), '');
}

function timed(command, cwd) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], { cwd, encoding: 'utf8', env: { ...process.env, STORE_AUTHOR: 'bench' } });
  if (result.status !== 0) throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [seconds, kilobytes] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, megabytes: kilobytes / 1024 };
}

function everyHundredth(directory) {
  const files = [];
  const walk = (at) => {
    for (const name of readdirSync(at).sort()) {
      if (name === '.store' || name === '.complete') continue;
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(directory);
  return files.filter((_, index) => index % 100 === 0);
}

function runOnce(build) {
  const store = join(resolve(build), 'bin', 'run.js');
  const copy = join(work, 'tree');
  const out = join(work, 'out');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('cp', ['-a', tree, copy]);
  rmSync(join(copy, '.complete'), { force: true });
  execFileSync(process.execPath, [store, 'init', '-q'], { cwd: copy });
  const sample = {};
  sample['first add + commit'] = sum(
    timed([process.execPath, store, 'add', '-A', '-q'], copy),
    timed([process.execPath, store, 'commit', '-q', '-m', 'first'], copy),
  );
  sample['status, nothing changed'] = timed([process.execPath, store, 'status', '--porcelain'], copy);
  for (const path of everyHundredth(copy)) appendFileSync(path, 'one more line\n');
  sample['1% changed: add + commit'] = sum(
    timed([process.execPath, store, 'add', '-A', '-q'], copy),
    timed([process.execPath, store, 'commit', '-q', '-m', 'second'], copy),
  );
  sample['checkout -o'] = timed([process.execPath, store, 'checkout', 'HEAD', '-o', out, '-q'], copy);
  return sample;
}

function sum(a, b) {
  return { seconds: a.seconds + b.seconds, megabytes: Math.max(a.megabytes, b.megabytes) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = { before: [], after: [] };
for (let run = 0; run < runs; run++) {
  // Alternate which build goes first, so that neither always gets the warmer cache.
  const order = run % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const which of order) samples[which].push(runOnce(args[which]));
  console.error(`run ${run + 1} of ${runs} done`);
}
rmSync(work, { recursive: true, force: true });
const workloads = Object.keys(samples.before[0]);
const lines = [
  `${new Date().toISOString()}, ${runs} runs, tree ${tree}`,
  '',
  '| workload | before: wall s (range) | after: wall s (range) | before: peak MB | after: peak MB |',
  '| --- | --- | --- | --- | --- |',
];
const range = (values) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
for (const workload of workloads) {
  const [b, a] = [samples.before, samples.after].map((list) => list.map((sample) => sample[workload]));
  lines.push(
    `| ${workload} | ${median(b.map((s) => s.seconds)).toFixed(2)} (${range(b.map((s) => s.seconds))}) | ${median(a.map((s) => s.seconds)).toFixed(2)} (${range(a.map((s) => s.seconds))}) | ${median(b.map((s) => s.megabytes)).toFixed(0)} | ${median(a.map((s) => s.megabytes)).toFixed(0)} |`,
  );
}
console.log(lines.join('\n'));

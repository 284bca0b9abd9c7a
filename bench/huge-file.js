#!/usr/bin/env node
// `store add` of one 4 GiB file (the benchmark's 2 GiB tar followed by its edited version): wall time,
// CPU time and peak RSS, then `store get -o` and a byte-for-byte comparison. Issue 3: peak RSS of
// `store add` on a 4 GiB file stays under 200 MB.
//
//   node bench/huge-file.js      (run `npm run bench` once first: it builds the datasets)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STORE = join(ROOT, 'bin', 'run.js');
const DATA = resolve(process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data'));
const parts = [join(DATA, `large-${2 * 2 ** 30}.tar`), join(DATA, `large-${2 * 2 ** 30}.tar.edited`)];
if (!parts.every(existsSync)) throw new Error(`missing ${parts.join(' or ')}: run \`npm run bench\` once to build the datasets`);
const WORK = join(ROOT, 'bench', '.work', 'huge');
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const env = { ...process.env, STORE_AUTHOR: 'bench' };

function timed(label, command, args) {
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', command, ...args], { cwd: WORK, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${label} failed: ${result.stderr}`);
  const [wall, user, system, maxKb] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
  console.log(`${label.padEnd(28)} wall ${wall.toFixed(2)} s  CPU ${(user + system).toFixed(2)} s  peak RSS ${(maxKb / 1024).toFixed(0)} MB`);
}

try {
  execFileSync('sh', ['-c', `cat ${parts.join(' ')} > huge.tar`], { cwd: WORK });
  execFileSync(process.execPath, [STORE, 'init', '-q'], { cwd: WORK, env });
  timed('store add (4 GiB file)', process.execPath, [STORE, 'add', '-A', '-q']);
  execFileSync(process.execPath, [STORE, 'commit', '-q', '-m', 'huge'], { cwd: WORK, env });
  timed('store get -o (4 GiB file)', process.execPath, [STORE, 'get', 'huge.tar', '-o', join(WORK, 'restored.tar')]);
  const same = spawnSync('cmp', ['-s', join(WORK, 'huge.tar'), join(WORK, 'restored.tar')]).status === 0;
  console.log(`restored copy byte-exact: ${same}`);
  if (!same) process.exitCode = 1;
} finally {
  rmSync(WORK, { recursive: true, force: true });
}

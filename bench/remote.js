#!/usr/bin/env node
// Remotes on S3, store against restic, in one run on one server: a one-node Ceph RADOS Gateway on
// loopback, started here by test/s3/ceph.sh (as the tests start it) and stopped at the end.
//
//   node bench/remote.js [--quick] [--out bench/results/remote.md]
//
// For each dataset (bench/run.js's small tree, and its large file: 2 GiB, or 512 MiB with --quick):
// store's push (of a repository already committed) against restic's backup to the same server, then
// store's clone against restic's restore; then, after a change to 1% of the small tree's files, the
// incremental push against restic's second backup. Each step: wall seconds and peak RSS (GNU time),
// and the requests and bytes the gateway logged for it (its access log: bytes received for a PUT,
// sent for a GET), so both tools are counted by the same server.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STORE = join(ROOT, 'bin', 'run.js');
const args = parseArgs(process.argv.slice(2));
const LARGE_BYTES = args.quick ? 512 * 2 ** 20 : 2 * 2 ** 30;
const DATA = resolve(process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data'));
const WORK = join(ROOT, 'bench', '.work-remote');
const CEPH = join(WORK, 'ceph');
const OUT = args.out ?? join(ROOT, 'bench', 'results', 'remote.md');

function sh(script, env) {
  execFileSync('sh', ['-c', script], { stdio: 'inherit', env });
}

function measure(script, cwd, env) {
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', script], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = result.stderr.trim().split('\n');
  const [wall, maxKb] = lines[lines.length - 1].split(' ').map(Number);
  if (result.status !== 0) throw new Error(`failed (${result.status}): ${script}\n${result.stderr}`);
  return { wallS: wall, rssMB: maxKb / 1024 };
}

/** Requests and bytes in the gateway's access log since `from` (a byte offset of the log). */
function gatewayTraffic(from) {
  const log = readFileSync(join(CEPH, 'log', 'client.rgw.store.log'), 'utf8').slice(from);
  let requests = 0;
  let bytes = 0;
  for (const match of log.matchAll(/beast: \S+: \S+ - \S+ \[[^\]]+\] "(\w+) [^"]*" (\d+) (\d+)/g)) {
    requests++;
    bytes += Number(match[3]);
  }
  return { requests, bytes };
}

function logSize() {
  const path = join(CEPH, 'log', 'client.rgw.store.log');
  return existsSync(path) ? statSync(path).size : 0;
}

function step(label, tool, script, cwd, env) {
  const before = logSize();
  const timing = measure(script, cwd, env);
  const traffic = gatewayTraffic(before);
  console.error(
    `${label} ${tool}: ${timing.wallS} s, ${timing.rssMB.toFixed(0)} MB, ${traffic.requests} requests, ${(traffic.bytes / 2 ** 20).toFixed(1)} MiB`,
  );
  return { label, tool, ...timing, ...traffic };
}

/** Changes 1% of the files of a tree (every 100th regular file in sorted order), as bench/run.js does. */
function changeOnePercent(tree) {
  const files = execFileSync('sh', ['-c', `cd ${tree} && find . -path ./.store -prune -o -type f -print | LC_ALL=C sort`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  let changed = 0;
  for (let i = 0; i < files.length; i += 100) {
    writeFileSync(join(tree, files[i]), `\nchanged by the benchmark ${i}\n`, { flag: 'a' });
    changed++;
  }
  return changed;
}

const small = join(DATA, 'small');
const large = join(DATA, `large-${LARGE_BYTES}.tar`);
if (!existsSync(join(small, '.complete')) || !existsSync(large)) {
  console.error(`datasets missing: run \`node bench/run.js${args.quick ? ' --quick' : ''}\` once first (it builds ${small} and ${large})`);
  process.exit(2);
}
if (spawnSync('sh', ['-c', 'command -v restic']).status !== 0) {
  console.error('restic is missing: apt-get install restic');
  process.exit(2);
}

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
sh(`bash ${join(ROOT, 'test', 's3', 'ceph.sh')} install`, process.env);
// Room for both tools' copies of the large file in the OSD's memory.
const started = execFileSync('bash', [join(ROOT, 'test', 's3', 'ceph.sh'), 'start', CEPH], {
  encoding: 'utf8',
  env: { ...process.env, STORE_S3_MEMSTORE_BYTES: String(12 * 2 ** 30) },
});
const serverEnv = Object.fromEntries(
  started
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter(Boolean)
    .map((match) => [match[1], match[2]]),
);
const endpoint = serverEnv.STORE_TEST_S3_ENDPOINT;
const env = { ...process.env, ...serverEnv, RESTIC_PASSWORD: 'bench', STORE_AUTHOR: 'bench', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const results = [];
try {
  // Every bucket is made before anything is timed (restic's init makes its own, untimed): the
  // gateway spends about two seconds on a new bucket's first writes (measured: its access log).
  sh(`node ${STORE} init -q ${WORK}/probe && cd ${WORK}/probe && echo probe > probe && node ${STORE} add -A -q && node ${STORE} commit -q -m probe`, env);
  for (const bucket of ['store-small', 'store-large']) {
    sh(`cd ${WORK}/probe && node ${STORE} remote add ${bucket} s3://${bucket}/probe --endpoint ${endpoint} -q && node ${STORE} push -q ${bucket}`, env);
  }
  for (const [name, source] of [
    ['small tree', small],
    [`large file (${LARGE_BYTES / 2 ** 20} MiB)`, large],
  ]) {
    const key = name.startsWith('small') ? 'small' : 'large';
    const tree = join(WORK, `${key}-tree`);
    mkdirSync(tree, { recursive: true });
    if (key === 'small') cpSync(source, tree, { recursive: true });
    else cpSync(source, join(tree, 'large.tar'));
    rmSync(join(tree, '.complete'), { force: true });
    sh(
      `cd ${tree} && node ${STORE} init -q && node ${STORE} add -A -q && node ${STORE} commit -q -m one && node ${STORE} remote add origin s3://store-${key}/repo --endpoint ${endpoint}`,
      env,
    );
    results.push(step(`push, ${name}`, 'store', `node ${STORE} push -q`, tree, env));
    const resticRepo = `s3:${endpoint}/restic/${key}`;
    sh(`restic -q -r ${resticRepo} init`, env);
    results.push(step(`push, ${name}`, 'restic backup', `restic -q -r ${resticRepo} backup --host bench --exclude .store .`, tree, env));
    results.push(step(`clone, ${name}`, 'store', `node ${STORE} clone -q s3://store-${key}/repo ${WORK}/${key}-clone --endpoint ${endpoint}`, WORK, env));
    results.push(step(`clone, ${name}`, 'restic restore', `restic -q -r ${resticRepo} restore latest --target ${WORK}/${key}-restored`, WORK, env));
    rmSync(join(WORK, `${key}-clone`), { recursive: true, force: true });
    rmSync(join(WORK, `${key}-restored`), { recursive: true, force: true });
    if (key === 'small') {
      const changed = changeOnePercent(tree);
      sh(`cd ${tree} && node ${STORE} add -A -q && node ${STORE} commit -q -m two`, env);
      const label = `incremental push, 1% of the small tree (${changed} files)`;
      results.push(step(label, 'store', `node ${STORE} push -q`, tree, env));
      results.push(step(label, 'restic backup', `restic -q -r ${resticRepo} backup --host bench --exclude .store .`, tree, env));
    }
  }
} finally {
  cpSync(join(CEPH, 'log', 'client.rgw.store.log'), join(WORK, 'gateway.log')); // kept for a look at each request's latency
  sh(`bash ${join(ROOT, 'test', 's3', 'ceph.sh')} stop ${CEPH}`, process.env);
}

const machine = `${execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim()}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores; Node ${process.version}; ${execFileSync('restic', ['version'], { encoding: 'utf8' }).trim()}; ${new Date().toISOString().slice(0, 10)}`;
const table = [
  '| step | tool | wall s | peak RSS MB | requests | MiB over the wire |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.label} | ${r.tool} | ${r.wallS.toFixed(2)} | ${r.rssMB.toFixed(0)} | ${r.requests} | ${(r.bytes / 2 ** 20).toFixed(1)} |`),
];
const text = `# bench/remote.js: store against restic on one S3 server (RADOS Gateway), one run\n\n\`node bench/remote.js${args.quick ? ' --quick' : ''}\`. Machine: ${machine}. Requests and bytes as the gateway logged them (bytes received for a PUT, sent for a GET).\n\n${table.join('\n')}\n`;
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, text);
console.log(text);

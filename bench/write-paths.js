#!/usr/bin/env node
// Writing a large file: through the page cache, against around it (O_DIRECT, page-aligned 2 MiB
// buffers), both with store's own writeFileAtomicFrom (dist/, so `npm run build` first) as `store get
// -o` and pack writing use it. The input is read in 4 MiB windows from a warm page cache. Reports wall
// time and this process's CPU time (user + system); `sync` before each, output deleted after each.
// Medians of --runs N (default 3), alternating.
//
//   node bench/write-paths.js [--runs N] [FILE]   (default FILE: the benchmark's 2 GiB tar)
import { execSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { writeFileAtomicFrom } = await import(join(ROOT, 'dist', 'core', 'fs-atomic.js'));
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv.splice(runsAt, 2)[1]) : 3;
const DATA = process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data');
const FILE = argv[0] ?? join(DATA, `large-${2 * 2 ** 30}.tar`);
const OUT = join(dirname(FILE), 'write-paths.out');
const WINDOW = 4 * 1024 * 1024;

async function copyOut(fd, size, expectedBytes) {
  const window = Buffer.allocUnsafe(WINDOW);
  await writeFileAtomicFrom(
    OUT,
    async (write) => {
      for (let position = 0; position < size; ) {
        const n = readSync(fd, window, 0, Math.min(WINDOW, size - position), position);
        await write(window.subarray(0, n));
        position += n;
      }
    },
    { durable: false, expectedBytes },
  );
}

/** Compared window by window (two reused buffers), not read whole into memory. */
function sameBytes(path, originalFd, size) {
  const copyFd = openSync(path, 'r');
  try {
    if (fstatSync(copyFd).size !== size) return false;
    const a = Buffer.allocUnsafe(WINDOW);
    const b = Buffer.allocUnsafe(WINDOW);
    for (let position = 0; position < size; position += WINDOW) {
      const length = Math.min(WINDOW, size - position);
      if (readSync(originalFd, a, 0, length, position) !== length || readSync(copyFd, b, 0, length, position) !== length) return false;
      if (!a.subarray(0, length).equals(b.subarray(0, length))) return false;
    }
    return true;
  } finally {
    closeSync(copyFd);
  }
}

const fd = openSync(FILE, 'r');
const size = fstatSync(fd).size;
sameBytes(FILE, fd, size); // warms the page cache with the input
const methods = { 'page cache': () => copyOut(fd, size, 0), O_DIRECT: () => copyOut(fd, size, size) };
const samples = Object.fromEntries(Object.keys(methods).map((name) => [name, { wall: [], cpu: [] }]));
for (let run = 0; run < RUNS; run++) {
  const order = run % 2 ? Object.keys(methods).reverse() : Object.keys(methods);
  for (const name of order) {
    execSync('sync');
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await methods[name]();
    const cpu = process.cpuUsage(cpuBefore);
    samples[name].wall.push((performance.now() - started) / 1000);
    samples[name].cpu.push((cpu.user + cpu.system) / 1e6);
    if (!sameBytes(OUT, fd, size)) throw new Error(`${name}: the copy differs from ${FILE}`);
    rmSync(OUT);
  }
}
closeSync(fd);
const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
const runs = (values) => values.map((v) => v.toFixed(2)).join(', ');
console.log(`${FILE}: ${(size / 2 ** 30).toFixed(2)} GiB written out from 4 MiB windows; medians of ${RUNS} runs`);
for (const [name, { wall, cpu }] of Object.entries(samples)) {
  console.log(`${name.padEnd(10)} wall ${median(wall).toFixed(2)} s  CPU ${median(cpu).toFixed(2)} s  (wall: ${runs(wall)}; CPU: ${runs(cpu)})`);
}

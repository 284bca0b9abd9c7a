#!/usr/bin/env node
// Reading a large file in windows: read() into one reused buffer, against mmap of each window
// (mmap-io), each window then hashed with BLAKE3 as ingest does (so every byte is touched). Issue 3
// asks the streaming chunker to use whichever is faster. Medians of --runs N (default 3), alternating.
//
//   node bench/read-paths.js [--runs N] [FILE]   (default FILE: the benchmark's 2 GiB tar)
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const mmap = require('mmap-io');
const { blake3 } = require('@napi-rs/blake-hash');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(argv.splice(runsAt, 2)[1]) : 3;
const FILE = argv[0] ?? join(process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data'), `large-${2 * 2 ** 30}.tar`);
const WINDOW = 4 * 1024 * 1024;

function viaRead(fd, size) {
  const window = Buffer.allocUnsafe(WINDOW);
  for (let position = 0; position < size; ) {
    const n = readSync(fd, window, 0, Math.min(WINDOW, size - position), position);
    blake3(window.subarray(0, n));
    position += n;
  }
}

function viaMmap(fd, size) {
  for (let position = 0; position < size; position += WINDOW) {
    const length = Math.min(WINDOW, size - position);
    const mapped = mmap.map(length, mmap.PROT_READ, mmap.MAP_SHARED, fd, position, mmap.MADV_SEQUENTIAL);
    blake3(mapped);
  }
}

const fd = openSync(FILE, 'r');
const size = fstatSync(fd).size;
viaRead(fd, size); // warm the page cache
const samples = { read: [], mmap: [] };
for (let run = 0; run < RUNS; run++) {
  for (const [name, method] of run % 2
    ? [
        ['mmap', viaMmap],
        ['read', viaRead],
      ]
    : [
        ['read', viaRead],
        ['mmap', viaMmap],
      ]) {
    const started = performance.now();
    method(fd, size);
    samples[name].push((performance.now() - started) / 1000);
  }
}
closeSync(fd);
const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`${FILE}: ${(size / 2 ** 30).toFixed(2)} GiB, ${WINDOW / 2 ** 20} MiB windows, each hashed (BLAKE3); medians of ${RUNS} runs`);
for (const [name, values] of Object.entries(samples)) {
  console.log(
    `${name.padEnd(5)} ${median(values).toFixed(2)} s  ${(size / 1e6 / median(values)).toFixed(0)} MB/s  (runs: ${values.map((v) => v.toFixed(2)).join(', ')})`,
  );
}
console.log(
  `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (mmap-io unmaps a window only when its Buffer is garbage-collected)`,
);

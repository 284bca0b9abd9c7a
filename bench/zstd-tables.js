#!/usr/bin/env node
// Compressing frames at zstd level 3: frame size against match-table size. The first 768 MiB of the
// benchmark's 2 GiB tar, cut into frames and compressed one by one on one thread, as packs store them
// (a frame that does not shrink counted raw). Reports stored MB and this thread's CPU seconds; every
// setting twice, so that the spread shows. Chose store's 2 MiB frames with hashLog 16 / chainLog 15.
//
//   node bench/zstd-tables.js [FILE]      (default FILE: the benchmark's 2 GiB tar)
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const zstd = createRequire(join(ROOT, 'package.json'))('zstd-napi/binding.js');
const DATA = process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data');
const FILE = process.argv[2] ?? join(DATA, `large-${2 * 2 ** 30}.tar`);
const MiB = 1024 * 1024;

const fd = openSync(FILE, 'r');
const size = Math.min(fstatSync(fd).size, 768 * MiB);
const data = Buffer.allocUnsafe(size);
for (let at = 0; at < size; ) at += readSync(fd, data, at, size - at, at);
closeSync(fd);
const out = Buffer.allocUnsafe(zstd.compressBound(4 * MiB));

const settings = [
  ['1 MiB frames, level 3', MiB, {}],
  ['2 MiB frames, level 3', 2 * MiB, {}],
  ['4 MiB frames, level 3', 4 * MiB, {}],
  ['1 MiB frames, hashLog 16 / chainLog 15', MiB, { hashLog: 16, chainLog: 15 }],
  ['2 MiB frames, hashLog 16 / chainLog 15', 2 * MiB, { hashLog: 16, chainLog: 15 }],
  ['2 MiB frames, hashLog 16 / chainLog 14', 2 * MiB, { hashLog: 16, chainLog: 14 }],
  ['2 MiB frames, hashLog 15 / chainLog 15', 2 * MiB, { hashLog: 15, chainLog: 15 }],
];

function measure(frameBytes, tables) {
  const context = new zstd.CCtx();
  context.setParameter(zstd.CParameter.compressionLevel, 3);
  for (const [name, value] of Object.entries(tables)) context.setParameter(zstd.CParameter[name], value);
  const before = process.cpuUsage();
  let stored = 0;
  for (let at = 0; at < size; at += frameBytes) {
    const frame = data.subarray(at, Math.min(at + frameBytes, size));
    stored += Math.min(context.compress2(out, frame), frame.length);
  }
  const cpu = process.cpuUsage(before);
  return { storedMB: stored / 1e6, cpuS: (cpu.user + cpu.system) / 1e6 };
}

console.log(`${(size / MiB).toFixed(0)} MiB of ${FILE}, zstd level 3, one thread; each setting twice.\n`);
console.log('| setting | stored MB | CPU s |');
console.log('| --- | --- | --- |');
const results = settings.map(([label]) => ({ label, runs: [] }));
for (let round = 0; round < 2; round++) {
  settings.forEach(([, frameBytes, tables], index) => results[index].runs.push(measure(frameBytes, tables)));
}
for (const { label, runs } of results) {
  console.log(`| ${label} | ${runs[0].storedMB.toFixed(2)} | ${runs.map((run) => run.cpuS.toFixed(2)).join(' / ')} |`);
}

#!/usr/bin/env node
// Which earlier chunk a new chunk of a large file is best compressed against (issue 19), on the
// releases bench/history.js caches: for every file of 32 KiB or more that changed between two
// releases, each new chunk (FastCDC as store cuts it, not found among the earlier version's chunks)
// is compressed with zstd level 3 against, in turn:
//   under-first-byte   the earlier chunk under the new chunk's first byte (store's rule before)
//   most-overlap       the earlier chunk that overlaps the new chunk's span most (store's rule now)
//   window             the earlier bytes around the same relative place, twice the chunk's length
//   whole-file         the whole earlier version
// and the bytes stored are summed (a delta larger than half the chunk counts as the chunk stored
// whole, as store does). The last two need more than one chunk as a base: a format change.
//
//   node bench/delta-bases.js [--package rxjs] [--cache DIR]    (after bench/history.js and npm run build)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const PACKAGE = args.package ?? 'rxjs';
const CACHE = join(resolve(args.cache ?? join(tmpdir(), 'store-bench-history')), PACKAGE.replace('/', '+'));
const zstd = createRequire(join(ROOT, 'package.json'))('zstd-napi');
const { cdcOffsets } = await import(join(ROOT, 'dist', 'chunking', 'fastcdc.js'));
const CHUNKING = { min: 32 * 1024, avg: 64 * 1024, max: 256 * 1024 }; // a repository's defaults

const versions = readdirSync(CACHE)
  .filter((name) => existsSync(join(CACHE, name, '.complete')))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
if (versions.length < 2) throw new Error(`no releases cached under ${CACHE}: run bench/history.js first`);

function filesUnder(directory, base = '') {
  const out = [];
  for (const entry of readdirSync(join(directory, base), { withFileTypes: true })) {
    const path = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(directory, path));
    else if (entry.name !== '.complete') out.push(path);
  }
  return out;
}

function spans(data) {
  const ends = [...cdcOffsets(data, CHUNKING.min, CHUNKING.avg, CHUNKING.max)];
  if (ends.at(-1) !== data.length) ends.push(data.length);
  return ends.map((end, index) => ({ start: index === 0 ? 0 : ends[index - 1], end })).filter((span) => span.end > span.start);
}

const compressor = new zstd.Compressor();
function storedBytes(raw, base) {
  compressor.setParameters({ compressionLevel: 3, windowLog: Math.min(27, Math.max(10, Math.ceil(Math.log2(raw.length + base.length)))) });
  compressor.loadDictionary(base);
  const delta = compressor.compress(raw).length;
  if (delta <= raw.length / 2) return delta;
  compressor.loadDictionary(Buffer.alloc(0));
  return compressor.compress(raw).length;
}

function mostOverlapping(chunks, start, end) {
  let best = chunks[0];
  let bestOverlap = Number.NEGATIVE_INFINITY;
  for (const chunk of chunks) {
    const overlap = Math.min(chunk.end, end) - Math.max(chunk.start, start);
    if (overlap > bestOverlap) [best, bestOverlap] = [chunk, overlap];
  }
  return best;
}

const totals = { 'under-first-byte': 0, 'most-overlap': 0, window: 0, 'whole-file': 0 };
let newChunks = 0;
for (let v = 1; v < versions.length; v++) {
  const before = join(CACHE, versions[v - 1]);
  const after = join(CACHE, versions[v]);
  for (const path of filesUnder(after)) {
    if (!existsSync(join(before, path))) continue;
    const now = readFileSync(join(after, path));
    const old = readFileSync(join(before, path));
    if (now.length < CHUNKING.min || now.equals(old)) continue;
    const oldChunks = spans(old);
    const seen = new Set(oldChunks.map((chunk) => old.subarray(chunk.start, chunk.end).toString('base64')));
    for (const { start, end } of spans(now)) {
      const raw = now.subarray(start, end);
      if (seen.has(raw.toString('base64'))) continue; // deduplicated, nothing stored
      newChunks++;
      const under = oldChunks.find((chunk) => chunk.end > start) ?? oldChunks.at(-1);
      totals['under-first-byte'] += storedBytes(raw, old.subarray(under.start, under.end));
      const most = mostOverlapping(oldChunks, start, end);
      totals['most-overlap'] += storedBytes(raw, old.subarray(most.start, most.end));
      const scale = old.length / now.length;
      const from = Math.max(0, Math.floor(start * scale - raw.length / 2));
      totals.window += storedBytes(raw, old.subarray(from, Math.min(old.length, Math.ceil(end * scale + raw.length / 2))));
      totals['whole-file'] += storedBytes(raw, old);
    }
  }
}
console.log(`${PACKAGE} ${versions[0]} to ${versions.at(-1)}: ${newChunks} new chunks of files of ${CHUNKING.min / 1024} KiB or more`);
for (const [rule, bytes] of Object.entries(totals)) console.log(`${rule.padEnd(18)} ${(bytes / 1e6).toFixed(2)} MB stored`);
